package command

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mnemo-dev/mnemo/engine/keyspace"
)

// streamDump describes every stream of e in full: entries, IDs and
// counters, macro nodes, groups with their PELs (delivery times and
// counts) and consumers. Consumers' seen times are left out: like Redis,
// Mnemo does not log them.
func streamDump(t *testing.T, e *Engine, c *Client) string {
	t.Helper()
	keys := parseArray(run(e, c, "KEYS", "*"))
	sort.Strings(keys)
	var b strings.Builder
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, k := range keys {
		ent := e.db.Peek(k)
		if ent == nil {
			continue
		}
		s, ok := ent.Value.(*keyspace.Stream)
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "%s len=%d last=%s first=%s maxdel=%s added=%d nodes=%d rax=%d\n", k, s.Len(),
			s.LastID, s.FirstID, s.MaxDeletedID, s.EntriesAdded, s.Nodes(), s.RaxNodes())
		s.Range(keyspace.StreamID{}, keyspace.MaxStreamID, false, func(en keyspace.StreamEntry) bool {
			fmt.Fprintf(&b, "  %s %q\n", en.ID, en.Fields)
			return true
		})
		for _, gn := range s.Groups() {
			g := s.Group(gn)
			fmt.Fprintf(&b, "  group %q last=%s read=%d\n", gn, g.LastID, g.EntriesRead)
			g.PEL.Ascend(keyspace.StreamID{}, func(id keyspace.StreamID, n *keyspace.StreamNACK) bool {
				fmt.Fprintf(&b, "    pel %s %q t=%d n=%d\n", id, n.Consumer.Name, n.DeliveryTime, n.DeliveryCount)
				return true
			})
			for _, cn := range g.Consumers() {
				fmt.Fprintf(&b, "    consumer %q pending=%d\n", cn, g.Consumer(cn).PEL.Len())
			}
		}
	}
	return b.String()
}

// replayStreams runs cmds on a durable engine, rebuilds a second engine
// from its log and requires both to hold the same streams.
func replayStreams(t *testing.T, cmds [][]string, between func()) {
	st := startLog(t)
	a, ca := durableEngine(t, st)
	for _, args := range cmds {
		run(a, ca, args...)
		ca.TakeMarks()
		a.mu.Lock()
		if ca.block != nil {
			a.unblock(ca)
		}
		a.mu.Unlock()
		if between != nil {
			between()
		}
	}
	waitCommitted(t, a, ca)
	b, cb := durableEngine(t, st)
	want, got := streamDump(t, a, ca), streamDump(t, b, cb)
	if want == "" {
		t.Fatal("no stream to compare")
	}
	if got != want {
		t.Fatalf("streams rebuilt from the log differ\nprimary:\n%s\nrebuilt:\n%s", want, got)
	}
}

// TestStreamReplay checks that the stream commands log effects that
// rebuild the same streams, groups and PELs: auto IDs, approximate trims,
// deliveries, claims and their times are logged as what happened.
func TestStreamReplay(t *testing.T) {
	files, _ := filepath.Glob("../../test/compat/testdata/stream*.txt")
	if len(files) == 0 {
		t.Fatal("no stream transcripts found")
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			replayStreams(t, transcriptCommands(t, f), nil)
		})
	}
	t.Run("time-dependent", func(t *testing.T) {
		var cmds [][]string
		add := func(s string) { cmds = append(cmds, strings.Fields(s)) }
		for i := 0; i < 230; i++ {
			add("XADD q * n " + fmt.Sprint(i))
			if i%50 == 49 {
				add("XADD q MAXLEN ~ 120 * n x")
				add("XTRIM q MINID ~ 0-1")
			}
		}
		add("XADD q 0-* n x")
		add("XADD q MINID ~ 9999999999999 LIMIT 150 * n y")
		add("XGROUP CREATE q g 0")
		add("XGROUP CREATE q g2 $")
		add("XREADGROUP GROUP g c1 COUNT 10 STREAMS q >")
		add("XREADGROUP GROUP g c2 COUNT 10 STREAMS q >")
		add("XREADGROUP GROUP g c3 COUNT 5 NOACK STREAMS q >")
		add("XREADGROUP GROUP g c1 STREAMS q 0")
		add("XREADGROUP GROUP g c1 BLOCK 10 STREAMS q >")
		add("XCLAIM q g c2 1 0-1 IDLE 5")
		add("XAUTOCLAIM q g c3 1 0 COUNT 4")
		add("XAUTOCLAIM q g c3 0 0 COUNT 3 JUSTID")
		add("XCLAIM q g c4 0 0-1 LASTID 99999999999999-0")
		add("XGROUP SETID q g2 $")
		add("XGROUP CREATECONSUMER q g2 idle")
		add("XGROUP DELCONSUMER q g c2")
		add("XGROUP CREATE fresh g $ MKSTREAM")
		replayStreams(t, cmds, func() { time.Sleep(50 * time.Microsecond) })
	})
}
