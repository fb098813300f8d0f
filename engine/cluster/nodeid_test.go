package cluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidNodeID(t *testing.T) {
	for _, tc := range []struct {
		id   string
		want bool
	}{
		{strings.Repeat("0", 40), true},
		{"0123456789abcdef0123456789abcdef01234567", true},
		{"0123456789ABCDEF0123456789abcdef01234567", false},
		{strings.Repeat("0", 39), false},
		{strings.Repeat("0", 41), false},
		{strings.Repeat("g", 40), false},
		{"", false},
	} {
		if got := ValidNodeID(tc.id); got != tc.want {
			t.Errorf("ValidNodeID(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
}

func TestNewNodeID(t *testing.T) {
	a, b := NewNodeID(), NewNodeID()
	if !ValidNodeID(a) || !ValidNodeID(b) || a == b {
		t.Errorf("NewNodeID = %q, %q: want two distinct valid IDs", a, b)
	}
}

func TestLoadOrCreateNodeIDKeepsTheID(t *testing.T) {
	dir := t.TempDir()
	id, err := LoadOrCreateNodeID(dir)
	if err != nil || !ValidNodeID(id) {
		t.Fatalf("first start: %q, %v", id, err)
	}
	b, err := os.ReadFile(filepath.Join(dir, NodeIDFile))
	if err != nil || string(b) != id+"\n" {
		t.Fatalf("file holds %q, %v; want %q", b, err, id+"\n")
	}
	again, err := LoadOrCreateNodeID(dir)
	if err != nil || again != id {
		t.Errorf("restart: %q, %v; want %q", again, err, id)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("dir holds %d files, want only %s", len(entries), NodeIDFile)
	}
}

func TestLoadOrCreateNodeIDReadsAWrittenID(t *testing.T) {
	dir := t.TempDir()
	want := strings.Repeat("ab", 20)
	if err := os.WriteFile(filepath.Join(dir, NodeIDFile), []byte("  "+want+"\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if id, err := LoadOrCreateNodeID(dir); err != nil || id != want {
		t.Errorf("LoadOrCreateNodeID = %q, %v; want %q", id, err, want)
	}
}

// A node that cannot keep its ID still gets one, for this process: when
// its directory is missing, is a file, or holds a damaged ID file.
func TestLoadOrCreateNodeIDFallsBack(t *testing.T) {
	damaged := t.TempDir()
	path := filepath.Join(damaged, NodeIDFile)
	if err := os.WriteFile(path, []byte("not an id\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, dir := range map[string]string{
		"missing dir": filepath.Join(t.TempDir(), "nope"),
		"damaged":     damaged,
		"a file":      path,
	} {
		t.Run(name, func(t *testing.T) {
			id, err := LoadOrCreateNodeID(dir)
			if err == nil || !ValidNodeID(id) {
				t.Errorf("LoadOrCreateNodeID = %q, %v; want a valid ID and an error", id, err)
			}
			if id2, _ := LoadOrCreateNodeID(dir); id2 == id {
				t.Errorf("the same per-process ID twice: %q", id)
			}
		})
	}
	if b, _ := os.ReadFile(path); string(b) != "not an id\n" {
		t.Errorf("the damaged file was changed to %q", b)
	}
}

func TestHostnameNodeID(t *testing.T) {
	a := HostnameNodeID("orders-shard-0-1.orders-shard-0-hl.shop.svc")
	if !ValidNodeID(a) {
		t.Fatalf("HostnameNodeID = %q, not a node ID", a)
	}
	if a != HostnameNodeID("orders-shard-0-1.orders-shard-0-hl.shop.svc") {
		t.Error("the same hostname gave two IDs")
	}
	if a == HostnameNodeID("orders-shard-0-2.orders-shard-0-hl.shop.svc") {
		t.Error("two hostnames gave one ID")
	}
}
