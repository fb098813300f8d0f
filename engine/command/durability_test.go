package command

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mnemo-dev/mnemo/engine/config"
	"github.com/mnemo-dev/mnemo/engine/resp"
	"github.com/mnemo-dev/mnemo/engine/txlog"
)

// startLog starts an embedded log server and opens shard 0's stream.
func startLog(t *testing.T) *txlog.Stream {
	t.Helper()
	srv, err := txlog.StartServer(txlog.ServerConfig{Name: "test", Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	nc, err := srv.Connect("test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := txlog.OpenStream(ctx, nc, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func durableEngine(t *testing.T, st *txlog.Stream) (*Engine, *Client) {
	t.Helper()
	e := New(config.New())
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := e.AttachLog(ctx, st, LogOptions{}); err != nil {
		t.Fatal(err)
	}
	return e, e.NewClient("test", "test", func() {})
}

// waitCommitted runs a no-op write and waits until the log holds it, so
// everything before it has committed.
func waitCommitted(t *testing.T, e *Engine, c *Client) {
	t.Helper()
	run(e, c, "SET", "{sync}barrier", "x")
	for _, m := range c.TakeMarks() {
		<-m.b.Done()
		if m.b.Err() != nil {
			t.Fatalf("commit failed: %v", m.b.Err())
		}
	}
	run(e, c, "DEL", "{sync}barrier")
	for _, m := range c.TakeMarks() {
		<-m.b.Done()
	}
}

// dump describes every key with its type, value and absolute expiry, in a
// canonical order, through the engine's own commands.
func dump(t *testing.T, e *Engine, c *Client) string {
	t.Helper()
	keys := parseArray(run(e, c, "KEYS", "*"))
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		typ := strings.TrimSpace(strings.TrimPrefix(run(e, c, "TYPE", k), "+"))
		var val []string
		switch typ {
		case "string":
			val = []string{run(e, c, "GET", k)}
		case "list":
			val = parseArray(run(e, c, "LRANGE", k, "0", "-1"))
		case "hash":
			val = parseArray(run(e, c, "HGETALL", k))
			val = pairsSorted(val)
		case "set":
			val = parseArray(run(e, c, "SMEMBERS", k))
			sort.Strings(val)
		case "zset":
			val = parseArray(run(e, c, "ZRANGE", k, "0", "-1", "WITHSCORES"))
		}
		b.WriteString(k + " " + typ + " " + strings.Join(val, ",") + " exp=" + run(e, c, "PEXPIRETIME", k) + "\n")
	}
	return b.String()
}

func pairsSorted(v []string) []string {
	var ps []string
	for i := 0; i+1 < len(v); i += 2 {
		ps = append(ps, v[i]+"="+v[i+1])
	}
	sort.Strings(ps)
	return ps
}

// parseArray reads a flat RESP2 array of bulk strings.
func parseArray(s string) []string {
	var out []string
	lines := strings.Split(s, "\r\n")
	for i := 1; i < len(lines); i++ {
		if strings.HasPrefix(lines[i], "$") && lines[i] != "$-1" && i+1 < len(lines) {
			out = append(out, lines[i+1])
			i++
		}
	}
	return out
}

// TestReplayRebuildsTheSameState runs every compatibility transcript's
// commands through a durable engine, rebuilds a second engine from the
// log alone, and requires the two keyspaces to be identical: every write
// handler's effect must be deterministic (absolute times, chosen members).
func TestReplayRebuildsTheSameState(t *testing.T) {
	files, _ := filepath.Glob("../../test/compat/testdata/*.txt")
	if len(files) == 0 {
		t.Fatal("no transcripts found")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".txt")
		t.Run(name, func(t *testing.T) {
			st := startLog(t)
			a, ca := durableEngine(t, st)
			for _, args := range transcriptCommands(t, f) {
				run(a, ca, args...)
				ca.TakeMarks()
				// One connection plays every client here; a real one
				// runs nothing more while it waits, so end the wait
				// as a timeout would.
				a.mu.Lock()
				if ca.block != nil {
					a.unblock(ca)
				}
				a.mu.Unlock()
			}
			waitCommitted(t, a, ca)
			b, cb := durableEngine(t, st)
			// Both keyspaces are read at one instant, an hour on, so a
			// key with a short time to live is gone from both or neither.
			at := time.Now().Add(time.Hour)
			a.Now = func() time.Time { return at }
			b.Now = a.Now
			if got, want := dump(t, b, cb), dump(t, a, ca); got != want {
				t.Fatalf("state rebuilt from the log differs\nprimary:\n%s\nrebuilt:\n%s", want, got)
			}
		})
	}
}

// transcriptCommands extracts the commands of a transcript that change or
// read state on one connection: connection-control, blocking sends, sleeps
// and commands that only make sense between several clients are left out.
func transcriptCommands(t *testing.T, file string) [][]string {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		if line[0] == '@' {
			tag, rest, _ := strings.Cut(line, " ")
			if strings.HasSuffix(tag, ">") || strings.HasSuffix(tag, "<") {
				continue
			}
			line = rest
		}
		if line != "" && line[0] == '[' {
			_, rest, _ := strings.Cut(line, "]")
			line = strings.TrimSpace(rest)
		}
		args, ok := resp.SplitArgs([]byte(line), nil)
		if !ok || len(args) == 0 {
			continue
		}
		switch strings.ToUpper(string(args[0])) {
		case "DEBUG", "CLIENT", "QUIT", "RESET", "HELLO", "SUBSCRIBE", "PSUBSCRIBE", "MULTI", "EXEC", "DISCARD", "WATCH":
			continue
		}
		var ss []string
		for _, a := range args {
			ss = append(ss, string(a))
		}
		out = append(out, ss)
	}
	return out
}
