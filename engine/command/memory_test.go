package command

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestMemoryUsage(t *testing.T) {
	e, c := serverTestEngine(t)
	now := time.Now()
	e.Now = func() time.Time { return now }
	run(e, c, "SET", "key", strings.Repeat("v", 1000))
	now = now.Add(5 * time.Second)
	got := run(e, c, "MEMORY", "USAGE", "key", "SAMPLES", "0")
	n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(got, ":"), "\r\n"))
	if err != nil || n < 1003 || n > 1200 {
		t.Errorf("MEMORY USAGE of a 1000-byte value = %q", got)
	}
	if got := run(e, c, "MEMORY", "USAGE", "nokey"); got != "$-1\r\n" {
		t.Errorf("MEMORY USAGE nokey = %q", got)
	}
	// It counts hits and misses but leaves the access time alone.
	info := infoText(t, e, c, "stats")
	if infoField(t, info, "keyspace_hits") != "1" || infoField(t, info, "keyspace_misses") != "1" {
		t.Errorf("MEMORY USAGE hits/misses not counted:\n%s", info)
	}
	if got := run(e, c, "DEBUG", "OBJECT", "key"); !strings.Contains(got, "lru_seconds_idle:5") {
		t.Errorf("MEMORY USAGE touched the key: %q", got)
	}
}
