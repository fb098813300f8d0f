package command

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mnemo-dev/mnemo/engine/resp"
)

//go:embed commands.json
var commandsJSON []byte

// commandsExtraJSON is hand-written metadata, in the same format, for
// commands newer than the reference server (so absent from
// commands.json) that Mnemo serves because clients rely on them.
//
//go:embed commands_extra.json
var commandsExtraJSON []byte

// node is a reply tree recorded from the reference server with its RESP3
// type kept: [type, value], where value is a string, a number or a list of
// nodes. It is replayed by write in the client's protocol version.
type node struct {
	t     byte
	s     string
	n     int64
	elems []node
}

func (n *node) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil || len(raw) != 2 {
		return fmt.Errorf("bad node %s", b)
	}
	var t string
	if err := json.Unmarshal(raw[0], &t); err != nil || len(t) != 1 {
		return fmt.Errorf("bad node type %s", raw[0])
	}
	n.t = t[0]
	switch n.t {
	case ':':
		return json.Unmarshal(raw[1], &n.n)
	case '*', '~', '%', '>', '|':
		return json.Unmarshal(raw[1], &n.elems)
	default:
		return json.Unmarshal(raw[1], &n.s)
	}
}

func (n *node) write(w *resp.Writer) {
	switch n.t {
	case '+':
		w.Status(n.s)
	case '-':
		w.Error(n.s)
	case ':':
		w.Int(n.n)
	case '$':
		w.BulkString(n.s)
	case '=':
		w.Verbatim(strings.TrimPrefix(n.s, "txt:"))
	case '_':
		w.Null()
	case '*':
		w.Array(len(n.elems))
		n.writeElems(w)
	case '~':
		w.Set(len(n.elems))
		n.writeElems(w)
	case '%':
		w.Map(len(n.elems) / 2)
		n.writeElems(w)
	}
}

func (n *node) writeElems(w *resp.Writer) {
	for i := range n.elems {
		n.elems[i].write(w)
	}
}

// get returns the value of key in a map node.
func (n *node) get(key string) *node {
	for i := 0; i+1 < len(n.elems); i += 2 {
		if n.elems[i].s == key {
			return &n.elems[i+1]
		}
	}
	return nil
}

func (n *node) strings() []string {
	out := make([]string, len(n.elems))
	for i, e := range n.elems {
		out[i] = e.s
	}
	return out
}

type metaEntry struct {
	Name string `json:"name"`
	Info node   `json:"info"`
	Docs node   `json:"docs"`
}

type metaFile struct {
	RedisVersion string      `json:"redisVersion"`
	Commands     []metaEntry `json:"commands"`
}

// keySpec is one of a command's key specifications (Redis 7 key specs):
// where to begin searching for keys, and how to find them from there.
type keySpec struct {
	flags []string
	// begin search
	index        int    // begin_search index (1-based argument position)
	keyword      string // begin_search keyword, if by keyword
	startFrom    int
	unknownBegin bool
	// find keys
	rangeMode     bool
	lastKey       int
	keyStep       int
	limit         int
	keyNumIdx     int
	firstKey      int
	unknownFind   bool
	writes, reads bool
}

func parseKeySpec(m *node) keySpec {
	var ks keySpec
	if f := m.get("flags"); f != nil {
		ks.flags = f.strings()
		for _, fl := range ks.flags {
			switch fl {
			case "RW", "OW", "RM", "INSERT", "DELETE", "UPDATE":
				ks.writes = true
			}
			if fl == "RO" || fl == "RW" || fl == "ACCESS" {
				ks.reads = true
			}
		}
	}
	bs := m.get("begin_search")
	switch bs.get("type").s {
	case "index":
		ks.index = int(bs.get("spec").get("index").n)
	case "keyword":
		spec := bs.get("spec")
		ks.keyword = spec.get("keyword").s
		ks.startFrom = int(spec.get("startfrom").n)
	default:
		ks.unknownBegin = true
	}
	fk := m.get("find_keys")
	switch fk.get("type").s {
	case "range":
		spec := fk.get("spec")
		ks.rangeMode = true
		ks.lastKey = int(spec.get("lastkey").n)
		ks.keyStep = int(spec.get("keystep").n)
		ks.limit = int(spec.get("limit").n)
	case "keynum":
		spec := fk.get("spec")
		ks.keyNumIdx = int(spec.get("keynumidx").n)
		ks.firstKey = int(spec.get("firstkey").n)
		ks.keyStep = int(spec.get("keystep").n)
	default:
		ks.unknownFind = true
	}
	return ks
}

// keys appends the argument positions of the keys this spec finds in args,
// following Redis's getKeysUsingKeySpecs.
func (ks *keySpec) keys(args [][]byte, dst []int) []int {
	argc := len(args)
	if ks.unknownBegin || ks.unknownFind {
		return dst
	}
	first := 0
	if ks.keyword == "" {
		first = ks.index
	} else {
		start, end, step := ks.startFrom, argc-1, 1
		if ks.startFrom < 0 {
			start, end, step = argc+ks.startFrom, 0, -1
		}
		for i := start; (step > 0 && i <= end) || (step < 0 && i >= end); i += step {
			if i <= 0 || i >= argc {
				break
			}
			if strings.EqualFold(string(args[i]), ks.keyword) {
				first = i + 1
				break
			}
		}
		if first == 0 {
			return dst
		}
	}
	var last, step int
	if ks.rangeMode {
		step = ks.keyStep
		switch {
		case ks.lastKey >= 0:
			last = first + ks.lastKey
		case ks.limit <= 1:
			last = argc + ks.lastKey
		default:
			last = first + (argc-first)/ks.limit + ks.lastKey
		}
	} else {
		idx := first + ks.keyNumIdx
		if idx >= argc {
			return dst
		}
		n, ok := resp.ParseInt(args[idx])
		if !ok || n < 0 {
			return dst
		}
		first = idx + ks.firstKey - ks.keyNumIdx
		step = ks.keyStep
		if step <= 0 {
			step = 1
		}
		if n == 0 {
			return dst
		}
		// More keys announced than arguments: Redis finds no keys at all,
		// so the command's own error reaches the client.
		if n > int64(argc) || first+int(n-1)*step >= argc {
			return dst
		}
		last = first + int(n-1)*step
	}
	if step <= 0 {
		step = 1
	}
	for i := first; i <= last; i += step {
		if i >= argc || i < 1 {
			break
		}
		dst = append(dst, i)
	}
	return dst
}
