package compat

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mnemo-dev/mnemo/test/internal/harness"
)

// aclPair is a redis-server and a Mnemo started with the same aclfile.
type aclPair struct {
	redis, mnemo string
	dir          string
}

// startACLPair starts both servers on a copy of aclfile. Mnemo gets
// --acl-admin yes so ACL SETUSER, DELUSER and LOAD can be compared too.
func startACLPair(t *testing.T, aclfile string, mnemoArgs ...string) *aclPair {
	t.Helper()
	dir := t.TempDir()
	data, err := os.ReadFile(aclfile)
	if err != nil {
		t.Fatal(err)
	}
	p := &aclPair{dir: dir}
	for _, side := range []string{"redis", "mnemo"} {
		if err := os.WriteFile(filepath.Join(dir, side+".acl"), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	rport, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	p.redis = startProcess(t, "redis-server", "--port", strconv.Itoa(rport), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--cluster-enabled", "yes",
		"--cluster-config-file", filepath.Join(dir, "nodes.conf"), "--dir", dir,
		"--aclfile", filepath.Join(dir, "redis.acl"))
	c, err := dial(p.redis)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	if v, err := c.do("AUTH", "default", "defpw"); err != nil || v.kind == '-' {
		t.Fatalf("AUTH: %v %v", v, err)
	}
	if v, err := c.do("CLUSTER", "ADDSLOTSRANGE", "0", "16383"); err != nil || v.kind == '-' {
		t.Fatalf("CLUSTER ADDSLOTSRANGE: %v %v", v, err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		v, err := c.do("CLUSTER", "INFO")
		if err == nil && strings.Contains(v.str, "cluster_state:ok") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis cluster state never became ok: %v", v)
		}
		time.Sleep(50 * time.Millisecond)
	}
	mport, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	p.mnemo = startProcess(t, mnemoBin, append([]string{"local", "--in-memory", "yes",
		"--port", strconv.Itoa(mport), "--dir", filepath.Join(dir, "mnemo-data"),
		"--aclfile", filepath.Join(dir, "mnemo.acl"), "--acl-admin", "yes"}, mnemoArgs...)...)
	return p
}

// startProcess starts a server, waits until its port answers and stops it
// when the test ends. The last --port argument names the port.
func startProcess(t *testing.T, bin string, args ...string) string {
	t.Helper()
	port := ""
	for i, a := range args {
		if a == "--port" {
			port = args[i+1]
		}
	}
	cmd := exec.Command(bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := "127.0.0.1:" + port
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := dial(addr)
		if err == nil {
			// NOAUTH is an answer too.
			v, err := c.do("PING")
			c.close()
			if err == nil && v.kind != 0 && harness.Serves(cmd.Process.Pid, addr) {
				return addr
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never answered: %s", bin, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestACLTranscripts runs testdata/acl/*.txt against a redis-server and a
// Mnemo sharing an aclfile, in RESP2 and RESP3. Connections whose label
// starts with "u" open unauthenticated (in RESP2); the others open as
// the default user with HELLO <proto> AUTH. Two comparison modes are
// added to the transcript ones: [acllog] compares ACL LOG entries without
// their age and client info, [rules] compares the words of each string
// in any order (Redis lists single-command rules in hash table order).
func TestACLTranscripts(t *testing.T) {
	files, err := filepath.Glob("testdata/acl/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no ACL transcripts: %v", err)
	}
	p := startACLPair(t, "testdata/acl/users.acl")
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".txt")
		for _, proto := range []int{2, 3} {
			t.Run(fmt.Sprintf("%s/resp%d", name, proto), func(t *testing.T) {
				runACLTranscript(t, p, f, proto)
			})
		}
	}
}

func aclConn(t *testing.T, addr, label string, proto int) *conn {
	c, err := dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(label, "u") {
		return c
	}
	if v, err := c.do("HELLO", strconv.Itoa(proto), "AUTH", "default", "defpw"); err != nil || v.kind == '-' {
		t.Fatalf("HELLO on %s: %v %v", addr, v, err)
	}
	return c
}

func runACLTranscript(t *testing.T, p *aclPair, file string, proto int) {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	addrs := []string{p.redis, p.mnemo}
	conns := []map[string]*conn{{}, {}}
	defer func() {
		for _, m := range conns {
			for _, c := range m {
				c.close()
			}
		}
	}()
	for i, addr := range addrs {
		c := aclConn(t, addr, "setup", proto)
		for _, cmd := range [][]string{{"ACL", "LOAD"}, {"ACL", "LOG", "RESET"}, {"FLUSHALL"}} {
			if v, err := c.do(cmd...); err != nil || v.kind == '-' {
				t.Fatalf("%v on %s: %v %v", cmd, addr, v, err)
			}
		}
		conns[i]["setup"] = c
	}
	for i, text := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(text)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if strings.HasPrefix(trimmed, "!") {
			switch f := strings.Fields(trimmed); f[0] {
			case "!resp2":
				if proto != 2 {
					return
				}
			case "!resp3":
				if proto != 3 {
					return
				}
			case "!sleep":
				ms, _ := strconv.Atoi(f[1])
				time.Sleep(time.Duration(ms) * time.Millisecond)
			default:
				t.Fatalf("%s:%d: unknown directive %s", file, i+1, f[0])
			}
			continue
		}
		l, err := parseLine(i+1, text)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		var got [2]value
		for j, addr := range addrs {
			c := conns[j][l.label]
			if c == nil {
				c = aclConn(t, addr, l.label, proto)
				conns[j][l.label] = c
			}
			if l.mode != "recv" {
				if err := c.send(l.args); err != nil {
					t.Fatalf("%s:%d %s: send to %s: %v", file, l.no, l.text, addr, err)
				}
			}
			if l.mode == "send" {
				continue
			}
			v, err := c.read()
			if err != nil {
				t.Fatalf("%s:%d %s: read from %s: %v", file, l.no, l.text, addr, err)
			}
			got[j] = v
		}
		if l.mode == "send" {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		var msg string
		switch l.compare {
		case "acllog":
			if a, b := stripLogEntries(got[0]).String(), stripLogEntries(got[1]).String(); a != b {
				msg = "ACL LOG entries differ"
			}
		case "rules":
			if a, b := sortWords(got[0]).String(), sortWords(got[1]).String(); a != b {
				msg = "rules differ, ignoring word order"
			}
		default:
			msg = compare(l.compare, got[0], got[1])
		}
		if msg != "" {
			t.Errorf("%s:%d: %s\n  redis: %v\n  mnemo: %v\n  (%s)", file, l.no, l.text, got[0], got[1], msg)
		}
	}
}

// stripLogEntries blanks the fields of ACL LOG entries that differ by
// nature between two servers: the entry's age and the client's details.
func stripLogEntries(v value) value {
	out := v
	out.elems = make([]value, len(v.elems))
	for i, e := range v.elems {
		ent := e
		ent.elems = append([]value(nil), e.elems...)
		for k := 0; k+1 < len(ent.elems); k += 2 {
			if s := ent.elems[k].str; s == "age-seconds" || s == "client-info" {
				ent.elems[k+1] = value{kind: '$', str: "-"}
			}
		}
		out.elems[i] = ent
	}
	return out
}

// sortWords sorts the words of every string in a reply.
func sortWords(v value) value {
	out := v
	if v.kind == '$' || v.kind == '+' {
		w := strings.Fields(v.str)
		sort.Strings(w)
		out.str = strings.Join(w, " ")
		return out
	}
	out.elems = make([]value, len(v.elems))
	for i, e := range v.elems {
		out.elems[i] = sortWords(e)
	}
	return out
}
