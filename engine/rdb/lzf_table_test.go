package rdb

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
)

// The pooled hash table must leave no trace from one string to the next:
// every input compresses to the same bytes whatever was compressed
// before it (a stale slot would turn a literal into a back reference).
func TestLZFTableReuseLeavesNoTrace(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	big := make([]byte, 200_000)
	for i := range big {
		big[i] = "abcdefgh"[r.IntN(8)]
	}
	inputs := [][]byte{
		[]byte(strings.Repeat("v", 100)),
		[]byte(strings.Repeat("abc", 100)),
		big,
		[]byte("the quick brown fox jumps over the lazy dog the quick brown fox"),
	}
	first := make([][]byte, len(inputs))
	for i, in := range inputs {
		first[i] = bytes.Clone(lzfCompress(in, len(in)-4))
	}
	for round := range 3 {
		for i := len(inputs) - 1; i >= 0; i-- {
			in := inputs[(i+round)%len(inputs)]
			want := first[(i+round)%len(inputs)]
			if got := lzfCompress(in, len(in)-4); !bytes.Equal(got, want) {
				t.Fatalf("round %d: input %d compressed differently after other inputs", round, (i+round)%len(inputs))
			}
		}
	}
}
