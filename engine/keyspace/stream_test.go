package keyspace

import (
	"math/rand"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestIDTreeMatchesSortedSlice(t *testing.T) {
	var tr idTree[int]
	var ref []StreamID
	rng := rand.New(rand.NewSource(1))
	for step := 0; step < 5000; step++ {
		k := StreamID{uint64(rng.Intn(300)), uint64(rng.Intn(3))}
		i, found := slices.BinarySearchFunc(ref, k, StreamID.Compare)
		if rng.Intn(3) == 0 {
			if got := tr.Delete(k); got != found {
				t.Fatalf("Delete(%v) = %v, want %v", k, got, found)
			}
			if found {
				ref = slices.Delete(ref, i, i+1)
			}
		} else {
			tr.Set(k, int(k.Ms))
			if !found {
				ref = slices.Insert(ref, i, k)
			}
		}
		if tr.Len() != len(ref) {
			t.Fatalf("Len = %d, want %d", tr.Len(), len(ref))
		}
		q := StreamID{uint64(rng.Intn(300)), uint64(rng.Intn(3))}
		j, _ := slices.BinarySearchFunc(ref, q, StreamID.Compare)
		if got, _, ok := tr.Ceil(q); ok != (j < len(ref)) || ok && got != ref[j] {
			t.Fatalf("Ceil(%v) = %v %v", q, got, ok)
		}
		j2, exact := slices.BinarySearchFunc(ref, q, StreamID.Compare)
		if exact {
			j2++
		}
		if got, _, ok := tr.Higher(q); ok != (j2 < len(ref)) || ok && got != ref[j2] {
			t.Fatalf("Higher(%v) = %v %v", q, got, ok)
		}
		if got, _, ok := tr.Lower(q); ok != (j > 0) || ok && got != ref[j-1] {
			t.Fatalf("Lower(%v) = %v %v", q, got, ok)
		}
	}
	var walked []StreamID
	tr.Ascend(StreamID{}, func(k StreamID, _ int) bool { walked = append(walked, k); return true })
	if !slices.Equal(walked, ref) {
		t.Fatal("Ascend order differs from the sorted keys")
	}
}

func TestStreamIDArithmetic(t *testing.T) {
	for _, tc := range []struct {
		id         StreamID
		incr, decr StreamID
		incrOK     bool
		decrOK     bool
	}{
		{StreamID{1, 1}, StreamID{1, 2}, StreamID{1, 0}, true, true},
		{StreamID{1, 0}, StreamID{1, 1}, StreamID{0, ^uint64(0)}, true, true},
		{StreamID{0, 0}, StreamID{0, 1}, MaxStreamID, true, false},
		{StreamID{1, ^uint64(0)}, StreamID{2, 0}, StreamID{1, ^uint64(0) - 1}, true, true},
		{MaxStreamID, StreamID{}, StreamID{^uint64(0), ^uint64(0) - 1}, false, true},
	} {
		if got, ok := tc.id.Incr(); got != tc.incr || ok != tc.incrOK {
			t.Errorf("%v.Incr() = %v %v", tc.id, got, ok)
		}
		if got, ok := tc.id.Decr(); got != tc.decr || ok != tc.decrOK {
			t.Errorf("%v.Decr() = %v %v", tc.id, got, ok)
		}
	}
}

func TestListpackSizes(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want int
	}{
		{"0", 2}, {"127", 2}, {"128", 3}, {"-1", 3}, {"4095", 3}, {"-4096", 3},
		{"4096", 4}, {"32767", 4}, {"32768", 5}, {"8388607", 5}, {"8388608", 6},
		{"2147483647", 6}, {"2147483648", 10}, {"-0", 4}, {"01", 4}, {"+1", 4},
		{"", 2}, {"abc", 5}, {string(make([]byte, 63)), 65}, {string(make([]byte, 64)), 67},
		{string(make([]byte, 125)), 128}, {string(make([]byte, 126)), 130},
		{"99999999999999999999", 22}, {"9223372036854775807", 10},
	} {
		if got := lpStrSize(tc.s); got != tc.want {
			t.Errorf("lpStrSize(%q) = %d, want %d", tc.s, got, tc.want)
		}
	}
}

func TestStreamNodesAndTrim(t *testing.T) {
	s := NewStream()
	for i := 1; i <= 250; i++ {
		s.Append(StreamID{uint64(i), 0}, [][]byte{[]byte("f"), []byte(strconv.Itoa(i))})
	}
	if s.Len() != 250 || s.Nodes() != 3 {
		t.Fatalf("len %d nodes %d, want 250 in 3 nodes of 100", s.Len(), s.Nodes())
	}
	// Approximate: only whole nodes go.
	if n := s.Trim(TrimArgs{Strategy: TrimMaxLen, MaxLen: 120, Approx: true}); n != 100 {
		t.Fatalf("MAXLEN ~ 120 removed %d, want 100", n)
	}
	// A limit below a node's size stops the trim.
	if n := s.Trim(TrimArgs{Strategy: TrimMaxLen, MaxLen: 10, Approx: true, Limit: 99}); n != 0 {
		t.Fatalf("LIMIT 99 removed %d", n)
	}
	// Exact: marks entries in the head node.
	if n := s.Trim(TrimArgs{Strategy: TrimMinID, MinID: StreamID{105, 0}}); n != 4 {
		t.Fatalf("MINID 105 removed %d, want 4", n)
	}
	if s.FirstID != (StreamID{105, 0}) || s.Len() != 146 {
		t.Fatalf("first %v len %d", s.FirstID, s.Len())
	}
	// Deleting every live entry of a node removes it.
	for i := 105; i <= 200; i++ {
		if !s.Delete(StreamID{uint64(i), 0}) {
			t.Fatalf("Delete(%d) found nothing", i)
		}
	}
	if s.Nodes() != 1 || s.Delete(StreamID{150, 0}) {
		t.Fatalf("nodes %d after emptying one", s.Nodes())
	}
	var got []StreamID
	s.Range(StreamID{199, 0}, StreamID{203, 0}, true, func(e StreamEntry) bool { got = append(got, e.ID); return true })
	if !slices.Equal(got, []StreamID{{203, 0}, {202, 0}, {201, 0}}) {
		t.Fatalf("reverse range = %v", got)
	}
	// Large values close a node before 100 entries.
	big := NewStream()
	v := make([]byte, 1000)
	for i := 1; i <= 10; i++ {
		big.Append(StreamID{uint64(i), 0}, [][]byte{[]byte("f"), v})
	}
	if big.Nodes() != 3 {
		t.Fatalf("1000-byte entries: %d nodes, want 3 (four per 4096-byte node)", big.Nodes())
	}
}

func TestStreamGroupPEL(t *testing.T) {
	s := NewStream()
	s.Append(StreamID{1, 0}, [][]byte{[]byte("f"), []byte("v")})
	s.Append(StreamID{2, 0}, [][]byte{[]byte("f"), []byte("v")})
	if !s.CreateGroup("g", StreamID{}, 0) || s.CreateGroup("g", StreamID{}, 0) {
		t.Fatal("CreateGroup should succeed once")
	}
	g := s.Group("g")
	a, _ := g.CreateConsumer("a", 0)
	b, _ := g.CreateConsumer("b", 0)
	g.Deliver(StreamID{1, 0}, a, 10)
	g.Deliver(StreamID{2, 0}, a, 10)
	n := g.Deliver(StreamID{1, 0}, b, 20) // redelivery moves it
	if n.DeliveryCount != 1 || a.PEL.Len() != 1 || b.PEL.Len() != 1 || g.PEL.Len() != 2 {
		t.Fatalf("after redelivery: a=%d b=%d group=%d", a.PEL.Len(), b.PEL.Len(), g.PEL.Len())
	}
	n2, _ := g.PEL.Get(StreamID{2, 0})
	g.Claim(StreamID{2, 0}, n2, b)
	if !g.Ack(StreamID{1, 0}) || g.Ack(StreamID{1, 0}) {
		t.Fatal("Ack should succeed once")
	}
	g.Deliver(StreamID{1, 0}, a, 30)
	if g.DeleteConsumer("b") != 1 || g.PEL.Len() != 1 || g.DeleteConsumer("b") != -1 {
		t.Fatalf("DeleteConsumer left %d pending", g.PEL.Len())
	}
	c := s.Clone().(*Stream)
	if c.Group("g").PEL.Len() != 1 || c.Len() != 2 {
		t.Fatal("Clone lost state")
	}
}

// Size keeps a running count of the nodes' bytes (it runs after every
// write); after any mix of appends, deletions and trims it equals the sum
// over the nodes.
func TestStreamSizeKeepsCount(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	s := NewStream()
	slow := func() int64 {
		var n int64
		s.nodes.Ascend(StreamID{}, func(_ StreamID, nd *streamNode) bool {
			n += int64(nd.bytes) + 64
			return true
		})
		return n
	}
	var ids []StreamID
	for i := 1; i <= 3000; i++ {
		switch r := rng.Intn(10); {
		case r < 7:
			id := StreamID{Ms: uint64(i), Seq: 0}
			s.Append(id, [][]byte{[]byte("f"), []byte(strings.Repeat("v", rng.Intn(60)))})
			ids = append(ids, id)
		case r < 9 && len(ids) > 0:
			s.Delete(ids[rng.Intn(len(ids))])
		default:
			s.Trim(TrimArgs{Strategy: TrimMaxLen, MaxLen: int64(rng.Intn(500)), Approx: rng.Intn(2) == 0})
		}
		if s.nodeBytes != slow() {
			t.Fatalf("step %d: running count %d, nodes hold %d", i, s.nodeBytes, slow())
		}
	}
	if c := s.Clone().(*Stream); c.nodeBytes != s.nodeBytes {
		t.Fatalf("clone counts %d, original %d", c.nodeBytes, s.nodeBytes)
	}
}
