package compat

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mnemo-dev/mnemo/engine/resp"
)

// side is one server's connections during a transcript.
type side struct {
	addr  string
	proto int
	conns map[string]*conn
}

func (s *side) conn(t *testing.T, label string) *conn {
	if c := s.conns[label]; c != nil {
		return c
	}
	c, err := dial(s.addr)
	if err != nil {
		t.Fatalf("dial %s: %v", s.addr, err)
	}
	if s.proto == 3 {
		if v, err := c.do("HELLO", "3"); err != nil || v.kind == '-' {
			t.Fatalf("HELLO 3 on %s: %v %v", s.addr, v, err)
		}
	}
	s.conns[label] = c
	return c
}

func (s *side) closeAll() {
	for _, c := range s.conns {
		c.close()
	}
}

// TestTranscripts runs every testdata/*.txt against both servers, over
// RESP2 and RESP3.
func TestTranscripts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no transcripts: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".txt")
		for _, proto := range []int{2, 3} {
			t.Run(fmt.Sprintf("%s/resp%d", name, proto), func(t *testing.T) {
				runTranscript(t, f, proto)
			})
		}
	}
}

// line is one parsed transcript line.
type line struct {
	no      int
	text    string
	label   string
	mode    string // "", "send", "recv"
	compare string // "", unordered, pairs, length, type, error, ignore
	args    []string
}

func parseLine(no int, text string) (line, error) {
	l := line{no: no, text: text, label: "1"}
	rest := strings.TrimSpace(text)
	if strings.HasPrefix(rest, "@") {
		end := strings.IndexAny(rest, " \t")
		if end < 0 {
			end = len(rest)
		}
		tag := rest[1:end]
		switch {
		case strings.HasSuffix(tag, ">"):
			l.mode, tag = "send", strings.TrimSuffix(tag, ">")
		case strings.HasSuffix(tag, "<"):
			l.mode, tag = "recv", strings.TrimSuffix(tag, "<")
		}
		l.label = tag
		rest = strings.TrimSpace(rest[end:])
	}
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return l, fmt.Errorf("line %d: unclosed [", no)
		}
		l.compare = rest[1:end]
		rest = strings.TrimSpace(rest[end+1:])
	}
	if l.mode == "recv" {
		return l, nil
	}
	args, ok := resp.SplitArgs([]byte(rest), nil)
	if !ok || len(args) == 0 {
		return l, fmt.Errorf("line %d: cannot parse %q", no, text)
	}
	for _, a := range args {
		l.args = append(l.args, string(a))
	}
	return l, nil
}

func runTranscript(t *testing.T, file string, proto int) {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sides := []*side{
		{addr: redisAddr, proto: proto, conns: map[string]*conn{}},
		{addr: mnemoAddr, proto: proto, conns: map[string]*conn{}},
	}
	defer func() {
		for _, s := range sides {
			s.closeAll()
		}
	}()
	for _, s := range sides {
		if v, err := s.conn(t, "setup").do("FLUSHALL"); err != nil || v.kind == '-' {
			t.Fatalf("FLUSHALL on %s: %v %v", s.addr, v, err)
		}
	}
	for i, text := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(text)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if strings.HasPrefix(trimmed, "!") {
			f := strings.Fields(trimmed)
			switch f[0] {
			case "!sleep":
				ms, _ := strconv.Atoi(f[1])
				time.Sleep(time.Duration(ms) * time.Millisecond)
			case "!resp2":
				if proto != 2 {
					return
				}
			case "!resp3":
				if proto != 3 {
					return
				}
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
		for j, s := range sides {
			c := s.conn(t, l.label)
			if l.mode != "recv" {
				if err := c.send(l.args); err != nil {
					t.Fatalf("%s:%d %s: send to %s: %v", file, l.no, l.text, s.addr, err)
				}
			}
			if l.mode == "send" {
				continue
			}
			v, err := c.read()
			if err != nil {
				t.Fatalf("%s:%d %s: read from %s: %v", file, l.no, l.text, s.addr, err)
			}
			got[j] = v
		}
		if l.mode == "send" {
			// Give both servers time to take the command (a blocking
			// command must be waiting before the next line wakes it).
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if msg := compare(l.compare, got[0], got[1]); msg != "" {
			t.Errorf("%s:%d: %s\n  redis: %v\n  mnemo: %v\n  (%s)", file, l.no, l.text, got[0], got[1], msg)
		}
	}
}

func compare(mode string, redis, mnemo value) string {
	switch mode {
	case "":
		if redis.String() != mnemo.String() {
			return "replies differ"
		}
	case "unordered":
		if canonical(redis).String() != canonical(mnemo).String() {
			return "replies differ, ignoring order"
		}
	case "pairs":
		if pairsCanonical(redis).String() != pairsCanonical(mnemo).String() {
			return "replies differ, ignoring pair order"
		}
	case "length":
		if shape(redis) != shape(mnemo) {
			return "reply shapes differ"
		}
	case "type":
		if redis.kind != mnemo.kind {
			return "reply types differ"
		}
	case "error":
		if redis.kind != '-' || mnemo.kind != '-' {
			return "expected both to fail"
		}
	case "ignore":
	default:
		return "unknown comparison [" + mode + "]"
	}
	return ""
}
