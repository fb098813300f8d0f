//go:build linux

package durability

import (
	"maps"
	"strconv"
	"testing"
)

// apply builds the database a worker's acknowledged writes leave.
func apply(p string, w int, ops []op) map[string]entry {
	db := map[string]entry{}
	incr := func(k string) {
		n, _ := strconv.Atoi(db[k].str)
		db[k] = entry{typ: "string", str: strconv.Itoa(n + 1)}
	}
	for _, o := range ops {
		if o.out != acked {
			continue
		}
		switch o.kind {
		case opSet:
			db[keySet(p, w, o.n)] = entry{typ: "string", str: valSet(p, w, o.n)}
		case opIncr:
			incr(keyCtr(p, w))
		case opIncrShared:
			incr(keyShared(p))
		case opLpush:
			e := db[keyList(p, w)]
			e.typ, e.list = "list", append([]string{elem(o.n)}, e.list...)
			db[keyList(p, w)] = e
		case opHset, opZadd:
			k, typ, f, v := keyHash(p, w), "hash", field(o.n), "v"+strconv.Itoa(o.n)
			if o.kind == opZadd {
				k, typ, f, v = keyZset(p, w), "zset", member(o.n), strconv.Itoa(o.n)
			}
			e := db[k]
			if e.hash == nil {
				e = entry{typ: typ, hash: map[string]string{}}
			}
			e.hash[f] = v
			db[k] = e
		case opMulti:
			db[keyTxA(p, w, o.n)] = entry{typ: "string", str: strconv.Itoa(o.n)}
			db[keyTxB(p, w, o.n)] = entry{typ: "string", str: strconv.Itoa(o.n)}
			incr(keyTxCtr(p, w))
		}
	}
	return db
}

// TestCheckerFindsLoss proves the checker can fail: a database built from
// the acknowledged writes passes, and each kind of damage is reported.
func TestCheckerFindsLoss(t *testing.T) {
	var ops []op
	for n := range 3 * int(numOpKinds) {
		ops = append(ops, op{kind: opKind(n % int(numOpKinds)), n: n, out: acked, reply: int64(n/int(numOpKinds) + 1)})
	}
	// The last rotation's SET was refused and its LPUSH's reply was lost.
	last := 2 * int(numOpKinds)
	ops[last+int(opSet)].out = refused
	ops[last+int(opLpush)].out = unknown
	good := apply("x", 0, ops)

	damage := map[string]func(db map[string]entry){
		"acknowledged SET lost": func(db map[string]entry) { delete(db, keySet("x", 0, 0)) },
		"refused SET present": func(db map[string]entry) {
			db[keySet("x", 0, last)] = entry{typ: "string", str: valSet("x", 0, last)}
		},
		"SET with another value":   func(db map[string]entry) { db[keySet("x", 0, 0)] = entry{typ: "string", str: "other"} },
		"transaction half applied": func(db map[string]entry) { delete(db, keyTxB("x", 0, int(opMulti))) },
		"transaction counter off":  func(db map[string]entry) { db[keyTxCtr("x", 0)] = entry{typ: "string", str: "7"} },
		"counter went back":        func(db map[string]entry) { db[keyCtr("x", 0)] = entry{typ: "string", str: "2"} },
		"counter too high":         func(db map[string]entry) { db[keyCtr("x", 0)] = entry{typ: "string", str: "4"} },
		"shared counter lost one":  func(db map[string]entry) { db[keyShared("x")] = entry{typ: "string", str: "2"} },
		"list lost an element": func(db map[string]entry) {
			db[keyList("x", 0)] = entry{typ: "list", list: []string{elem(int(opLpush) + 7), elem(int(opLpush))}[1:]}
		},
		"list out of order": func(db map[string]entry) {
			db[keyList("x", 0)] = entry{typ: "list", list: []string{elem(int(opLpush)), elem(int(opLpush) + 7)}}
		},
		"hash field lost":    func(db map[string]entry) { delete(db[keyHash("x", 0)].hash, field(int(opHset))) },
		"zset member scored": func(db map[string]entry) { db[keyZset("x", 0)].hash[member(int(opZadd))] = "99" },
		"key never written":  func(db map[string]entry) { db["stray"] = entry{typ: "string", str: "1"} },
	}
	ck := newChecker(good)
	ck.check("x", [][]op{ops})
	ck.neverSent()
	if len(ck.problems) != 0 {
		t.Fatalf("the database of the acknowledged writes fails the check: %v", ck.problems)
	}
	for name, f := range damage {
		db := maps.Clone(good)
		for k, e := range db {
			if e.hash != nil {
				e.hash = maps.Clone(e.hash)
				db[k] = e
			}
		}
		f(db)
		ck := newChecker(db)
		ck.check("x", [][]op{ops})
		ck.neverSent()
		if len(ck.problems) == 0 {
			t.Errorf("%s: not reported", name)
		}
	}
	// A dump compared with itself after a change.
	ck = newChecker(good)
	before := maps.Clone(good)
	before[keySet("x", 0, 0)] = entry{typ: "string", str: "was"}
	ck.unchanged(before)
	if len(ck.problems) != 1 {
		t.Errorf("a changed key after a restart: %d problems, want 1", len(ck.problems))
	}
}
