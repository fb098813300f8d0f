//go:build linux

package failover

import (
	"fmt"
	"strconv"

	"github.com/anishathalye/porcupine"
)

// Operations of the workload, one key each: registers take GET, SET and
// compare-and-set (WATCH + MULTI/EXEC); counters take GET and INCR.
const (
	opGet = 'g'
	opSet = 's'
	opCAS = 'c'
	opInc = 'i'
)

// opInput is what a client asked: for CAS, set val if the key still
// holds old.
type opInput struct {
	op       byte
	key      string
	val, old string
}

// opOutput is what it was told. unknown: the client cannot know whether
// the write happened (no reply, or "not committed"); porcupine may then
// place it anywhere after its call, including never before the end.
type opOutput struct {
	val     string
	ok      bool
	unknown bool
}

// kvModel is a register or counter per key; an absent key reads "".
var kvModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range history {
			k := op.Input.(opInput).key
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		out := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() any { return "" },
	Step: func(state, input, output any) (bool, any) {
		st, in, out := state.(string), input.(opInput), output.(opOutput)
		switch in.op {
		case opGet:
			return out.val == st, st
		case opSet:
			return true, in.val
		case opCAS:
			if out.unknown {
				if st == in.old {
					return true, in.val
				}
				return true, st
			}
			if out.ok {
				return st == in.old, in.val
			}
			// WATCH saw a change: nothing was written.
			return true, st
		case opInc:
			n, _ := strconv.Atoi(st)
			next := strconv.Itoa(n + 1)
			return out.unknown || out.val == next, next
		}
		return false, st
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(opInput), output.(opOutput)
		res := out.val
		switch {
		case out.unknown:
			res = "?"
		case in.op == opCAS:
			res = fmt.Sprint(out.ok)
		}
		switch in.op {
		case opGet:
			return fmt.Sprintf("get(%s) -> %q", in.key, res)
		case opSet:
			return fmt.Sprintf("set(%s, %s) %s", in.key, in.val, res)
		case opCAS:
			return fmt.Sprintf("cas(%s, %q -> %s) %s", in.key, in.old, in.val, res)
		}
		return fmt.Sprintf("incr(%s) -> %s", in.key, res)
	},
}
