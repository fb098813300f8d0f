//go:build linux

package durability

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// entry is one key read back from the database.
type entry struct {
	typ  string            // TYPE's reply
	str  string            // string value
	list []string          // list, head first
	hash map[string]string // hash fields, or sorted-set members and scores
}

// canonical renders an entry in one fixed form, to compare dumps.
func (e entry) canonical() string {
	switch e.typ {
	case "string":
		return "string " + strconv.Quote(e.str)
	case "list":
		return "list " + strings.Join(e.list, ",")
	case "hash", "zset":
		pairs := make([]string, 0, len(e.hash))
		for k, v := range e.hash {
			pairs = append(pairs, k+"="+v)
		}
		sort.Strings(pairs)
		return e.typ + " " + strings.Join(pairs, ",")
	}
	return e.typ
}

// dump reads every key of the database at addr.
func dump(addr string) (map[string]entry, error) {
	c, err := dial(addr)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	v, err := c.DoTimeout(30*time.Second, "KEYS", "*")
	if err != nil || v.Kind != '*' {
		return nil, fmt.Errorf("KEYS *: %v %v", v, err)
	}
	keys := make([]string, len(v.Elems))
	for i, e := range v.Elems {
		keys[i] = e.Str
	}
	cmds := make([][]string, len(keys))
	for i, k := range keys {
		cmds[i] = []string{"TYPE", k}
	}
	types, err := pipeline(c, cmds)
	if err != nil {
		return nil, err
	}
	for i, k := range keys {
		cmds[i] = readCommand(types[i].Str, k)
	}
	vals, err := pipeline(c, cmds)
	if err != nil {
		return nil, err
	}
	out := make(map[string]entry, len(keys))
	for i, k := range keys {
		e := entry{typ: types[i].Str}
		r := vals[i]
		if r.IsErr() {
			return nil, fmt.Errorf("reading %s (%s): %s", k, e.typ, r.Str)
		}
		switch e.typ {
		case "string":
			e.str = r.Str
		case "list":
			for _, x := range r.Elems {
				e.list = append(e.list, x.Str)
			}
		case "hash", "zset":
			e.hash = map[string]string{}
			for j := 0; j+1 < len(r.Elems); j += 2 {
				e.hash[r.Elems[j].Str] = r.Elems[j+1].Str
			}
		case "none":
			// Deleted between KEYS and TYPE: nothing writes during a dump.
			return nil, fmt.Errorf("key %s vanished during the dump", k)
		default:
			return nil, fmt.Errorf("key %s has unexpected type %s", k, e.typ)
		}
		out[k] = e
	}
	return out, nil
}

// readCommand is how the dump reads a key of a type.
func readCommand(typ, k string) []string {
	switch typ {
	case "string":
		return []string{"GET", k}
	case "list":
		return []string{"LRANGE", k, "0", "-1"}
	case "hash":
		return []string{"HGETALL", k}
	case "zset":
		return []string{"ZRANGE", k, "0", "-1", "WITHSCORES"}
	}
	return []string{"TYPE", k}
}

// pipeline runs the commands, 512 at a time, and returns their replies.
func pipeline(c *conn, cmds [][]string) ([]value, error) {
	out := make([]value, 0, len(cmds))
	for i := 0; i < len(cmds); i += 512 {
		j := min(i+512, len(cmds))
		for _, args := range cmds[i:j] {
			c.Send(args...)
		}
		if err := c.Flush(); err != nil {
			return nil, err
		}
		for range cmds[i:j] {
			v, err := c.ReadTimeout(30 * time.Second)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
	}
	return out, nil
}

// checker compares a dump with the histories of workloads. Problems are
// collected, not fatal, so that one run reports all it found.
type checker struct {
	db       map[string]entry
	problems []string
	// sent is every key a workload may have written.
	sent map[string]bool
}

func newChecker(db map[string]entry) *checker {
	return &checker{db: db, sent: map[string]bool{}}
}

func (ck *checker) problem(format string, a ...any) {
	ck.problems = append(ck.problems, fmt.Sprintf(format, a...))
}

// neverSent reports keys in the database that no workload wrote. Call it after check for every workload.
func (ck *checker) neverSent() {
	for k := range ck.db {
		if !ck.sent[k] {
			ck.problem("key %q is present but was never written", k)
		}
	}
}

// check verifies one workload's history (prefix p) against the dump.
func (ck *checker) check(p string, workers [][]op) {
	var sharedAcked, sharedUnknown int
	var sharedMax int64
	for w, ops := range workers {
		byKind := make([][]op, numOpKinds)
		for _, o := range ops {
			byKind[o.kind] = append(byKind[o.kind], o)
			if o.kind == opIncrShared {
				switch o.out {
				case acked:
					sharedAcked++
					sharedMax = max(sharedMax, o.reply)
				case unknown:
					sharedUnknown++
				}
			}
		}
		ck.checkSets(p, w, byKind[opSet])
		ck.checkCounter(keyCtr(p, w), byKind[opIncr])
		ck.checkList(p, w, byKind[opLpush])
		ck.checkMembers(keyHash(p, w), "hash", byKind[opHset], field, func(n int) string { return "v" + strconv.Itoa(n) })
		ck.checkMembers(keyZset(p, w), "zset", byKind[opZadd], member, strconv.Itoa)
		ck.checkTxs(p, w, byKind[opMulti])
	}
	// The shared counter: every acknowledged INCR counted, at most the
	// unknown ones more.
	k := keyShared(p)
	ck.sent[k] = true
	v, ok := ck.intValue(k)
	if !ok {
		return
	}
	if v < int64(sharedAcked) || v < sharedMax || v > int64(sharedAcked+sharedUnknown) {
		ck.problem("%s = %d: want between max(%d acknowledged INCRs, highest reply %d) and %d (acknowledged + unknown)",
			k, v, sharedAcked, sharedMax, sharedAcked+sharedUnknown)
	}
}

// intValue reads a counter; absent is 0.
func (ck *checker) intValue(k string) (int64, bool) {
	e, ok := ck.db[k]
	if !ok {
		return 0, true
	}
	if e.typ != "string" {
		ck.problem("%s has type %s, want string", k, e.typ)
		return 0, false
	}
	v, err := strconv.ParseInt(e.str, 10, 64)
	if err != nil {
		ck.problem("%s = %q, not an integer", k, e.str)
		return 0, false
	}
	return v, true
}

func (ck *checker) checkSets(p string, w int, ops []op) {
	for _, o := range ops {
		k, want := keySet(p, w, o.n), valSet(p, w, o.n)
		ck.sent[k] = true
		e, present := ck.db[k]
		switch {
		case present && (e.typ != "string" || e.str != want):
			ck.problem("%s = %s, want %q (%s)", k, e.canonical(), want, o.out)
		case !present && o.out == acked:
			ck.problem("acknowledged SET %s is missing", k)
		case present && o.out == refused:
			ck.problem("refused SET %s is present", k)
		}
	}
}

// checkCounter checks a counter only one worker increments: its
// acknowledged replies rise by one plus at most the unknown INCRs between
// them (a lower reply means an acknowledged INCR was lost while the node
// ran), and its value is at least the last acknowledged reply and at most
// that plus the unknown INCRs after it.
func (ck *checker) checkCounter(k string, ops []op) {
	ck.sent[k] = true
	var last int64
	unknownSince := 0
	for _, o := range ops {
		switch o.out {
		case acked:
			if o.reply < last+1 || o.reply > last+1+int64(unknownSince) {
				ck.problem("%s: INCR #%d replied %d after the previous acknowledged reply %d and %d unknown INCRs",
					k, o.n, o.reply, last, unknownSince)
			}
			last, unknownSince = o.reply, 0
		case unknown:
			unknownSince++
		}
	}
	v, ok := ck.intValue(k)
	if ok && (v < last || v > last+int64(unknownSince)) {
		ck.problem("%s = %d: want between the last acknowledged value %d and %d (+%d unknown INCRs)",
			k, v, last, last+int64(unknownSince), unknownSince)
	}
}

// checkList checks a list one worker LPUSHes to: read tail to head it is
// the worker's elements in the order sent, with every acknowledged one and
// no refused one.
func (ck *checker) checkList(p string, w int, ops []op) {
	k := keyList(p, w)
	ck.sent[k] = true
	outcomeOf := map[int]outcome{}
	for _, o := range ops {
		outcomeOf[o.n] = o.out
	}
	e, present := ck.db[k]
	if present && e.typ != "list" {
		ck.problem("%s has type %s, want list", k, e.typ)
		return
	}
	seen := map[int]bool{}
	prev := -1
	for i := len(e.list) - 1; i >= 0; i-- {
		n, ok := parseNum(e.list[i], "e")
		out, sent := outcomeOf[n]
		switch {
		case !ok || !sent:
			ck.problem("%s holds %q, which was never pushed", k, e.list[i])
		case out == refused:
			ck.problem("%s holds %q, whose LPUSH was refused", k, e.list[i])
		case n <= prev:
			ck.problem("%s holds %q after e%d: out of order or twice", k, e.list[i], prev)
		}
		seen[n], prev = true, n
	}
	for _, o := range ops {
		if o.out == acked && !seen[o.n] {
			ck.problem("%s lacks %s, whose LPUSH was acknowledged", k, elem(o.n))
		}
	}
}

// checkMembers checks a hash (fields and values) or a sorted set (members
// and scores) one worker adds to.
func (ck *checker) checkMembers(k, typ string, ops []op, name, val func(int) string) {
	ck.sent[k] = true
	e, present := ck.db[k]
	if present && e.typ != typ {
		ck.problem("%s has type %s, want %s", k, e.typ, typ)
		return
	}
	outcomeOf := map[string]outcome{}
	for _, o := range ops {
		outcomeOf[name(o.n)] = o.out
		got, ok := e.hash[name(o.n)]
		switch {
		case ok && got != val(o.n):
			ck.problem("%s: %s = %q, want %q", k, name(o.n), got, val(o.n))
		case !ok && o.out == acked:
			ck.problem("%s lacks %s, whose write was acknowledged", k, name(o.n))
		case ok && o.out == refused:
			ck.problem("%s holds %s, whose write was refused", k, name(o.n))
		}
	}
	for f := range e.hash {
		if _, sent := outcomeOf[f]; !sent {
			ck.problem("%s holds %s, which was never written", k, f)
		}
	}
}

// checkTxs checks MULTI/EXEC all or nothing: both keys of a transaction or
// neither, and its counter equal to the number of transactions present.
func (ck *checker) checkTxs(p string, w int, ops []op) {
	ctr := keyTxCtr(p, w)
	ck.sent[ctr] = true
	present := 0
	for _, o := range ops {
		a, b := keyTxA(p, w, o.n), keyTxB(p, w, o.n)
		ck.sent[a], ck.sent[b] = true, true
		ea, okA := ck.db[a]
		eb, okB := ck.db[b]
		want := strconv.Itoa(o.n)
		switch {
		case okA != okB:
			ck.problem("transaction %s#%d (%s) half applied: %s present=%v, %s present=%v", txTag(p, w), o.n, o.out, a, okA, b, okB)
		case okA && (ea.str != want || eb.str != want):
			ck.problem("transaction %s#%d: %s=%s %s=%s, want %q", txTag(p, w), o.n, a, ea.canonical(), b, eb.canonical(), want)
		case !okA && o.out == acked:
			ck.problem("acknowledged transaction %s#%d is missing", txTag(p, w), o.n)
		case okA && o.out == refused:
			ck.problem("refused transaction %s#%d is present", txTag(p, w), o.n)
		}
		if okA && okB {
			present++
		}
	}
	if v, ok := ck.intValue(ctr); ok && v != int64(present) {
		ck.problem("%s = %d, but %d of its transactions are present: a transaction was applied in part", ctr, v, present)
	}
}

// unchanged reports keys of an earlier dump whose value changed or that
// vanished: once recovery has shown a write, it must stay.
func (ck *checker) unchanged(before map[string]entry) {
	for k, e := range before {
		now, ok := ck.db[k]
		switch {
		case !ok:
			ck.problem("%s = %s before this restart, now missing", k, e.canonical())
		case now.canonical() != e.canonical():
			ck.problem("%s = %s before this restart, now %s", k, e.canonical(), now.canonical())
		}
	}
}
