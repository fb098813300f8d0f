package cluster

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// ids returns n (at most 16) distinct valid node IDs: "0000…", "1111…"…
func ids(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strings.Repeat("0123456789abcdef"[i:i+1], NodeIDLen)
	}
	return out
}

func TestSingleNode(t *testing.T) {
	id := NewNodeID()
	topo := SingleNode(Node{ID: id, IP: "10.0.0.1", Port: 7000, Role: Replica, ConfigEpoch: 3})
	me, shard := topo.Myself()
	if me == nil || me.ID != id || me.Role != Primary || me.IP != "10.0.0.1" || me.Port != 7000 {
		t.Fatalf("Myself = %+v", me)
	}
	if shard.ID != ShardIDOf(id) || !ValidNodeID(shard.ID) || shard.ID == id {
		t.Errorf("shard ID %q: want a valid ID derived from, and distinct from, %q", shard.ID, id)
	}
	if got := shard.Slots; !reflect.DeepEqual(got, []SlotRange{{0, NumSlots - 1}}) {
		t.Errorf("slots = %v, want 0-16383", got)
	}
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"SlotsAssigned", topo.SlotsAssigned(), NumSlots},
		{"FailedSlots", topo.FailedSlots(), 0},
		{"KnownNodes", topo.KnownNodes(), 1},
		{"Size", topo.Size(), 1},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	if !topo.OK() || topo.CurrentEpoch() != 3 || topo.Self() != id {
		t.Errorf("OK = %v, CurrentEpoch = %d, Self = %q", topo.OK(), topo.CurrentEpoch(), topo.Self())
	}
	for _, slot := range []int{0, 1, 8000, NumSlots - 1} {
		if topo.Owner(slot) != shard {
			t.Errorf("Owner(%d) is not the only shard", slot)
		}
	}
	for _, slot := range []int{-1, NumSlots} {
		if topo.Owner(slot) != nil {
			t.Errorf("Owner(%d) = %v, want nil", slot, topo.Owner(slot))
		}
	}
}

func TestSingleNodePanicsOnBadID(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("SingleNode accepted a malformed node ID")
		}
	}()
	SingleNode(Node{ID: "nope"})
}

func TestNewRejects(t *testing.T) {
	id := ids(4)
	primary := func(i int) Node { return Node{ID: id[i]} }
	for _, tc := range []struct {
		name   string
		self   string
		shards []Shard
		want   error
	}{
		{"bad shard id", id[0], []Shard{{ID: "x", Primary: primary(0)}}, ErrBadNodeID},
		{"bad node id", id[0], []Shard{{ID: id[3], Primary: Node{ID: strings.Repeat("A", NodeIDLen)}}}, ErrBadNodeID},
		{"bad replica id", id[0], []Shard{{ID: id[3], Primary: primary(0), Replicas: []Node{{ID: "r"}}}}, ErrBadNodeID},
		{"node twice", id[0], []Shard{{ID: id[3], Primary: primary(0), Replicas: []Node{primary(0)}}}, ErrDuplicateNode},
		{"node in two shards", id[0], []Shard{{ID: id[2], Primary: primary(0)}, {ID: id[3], Primary: primary(0)}}, ErrDuplicateNode},
		{"slot below 0", id[0], []Shard{{ID: id[3], Primary: primary(0), Slots: []SlotRange{{-1, 5}}}}, ErrBadSlotRange},
		{"slot past the end", id[0], []Shard{{ID: id[3], Primary: primary(0), Slots: []SlotRange{{0, NumSlots}}}}, ErrBadSlotRange},
		{"reversed range", id[0], []Shard{{ID: id[3], Primary: primary(0), Slots: []SlotRange{{5, 4}}}}, ErrBadSlotRange},
		{"overlap in a shard", id[0], []Shard{{ID: id[3], Primary: primary(0), Slots: []SlotRange{{0, 10}, {10, 20}}}}, ErrSlotTwice},
		{"overlap between shards", id[0], []Shard{
			{ID: id[2], Primary: primary(0), Slots: []SlotRange{{0, 10}}},
			{ID: id[3], Primary: primary(1), Slots: []SlotRange{{5, 5}}},
		}, ErrSlotTwice},
		{"self unknown", id[2], []Shard{{ID: id[3], Primary: primary(0)}}, ErrUnknownSelf},
		{"no shards", id[0], nil, ErrUnknownSelf},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.self, 0, tc.shards); !errors.Is(err, tc.want) {
				t.Errorf("New = %v, want %v", err, tc.want)
			}
		})
	}
}

// threeShards is a cluster of three shards, one of them without slots and
// one with a failed replica, seen from a replica of the first.
func threeShards(t *testing.T) (*Topology, []string) {
	t.Helper()
	id := ids(8)
	slots := []SlotRange{{10000, 16383}, {0, 4999}} // out of order on purpose
	topo, err := New(id[1], 7, []Shard{
		{ID: id[5], Slots: slots, Primary: Node{ID: id[0], ConfigEpoch: 5},
			Replicas: []Node{{ID: id[1], Role: Primary, ReplOffset: 10}, {ID: id[2], Failed: true}}},
		{ID: id[6], Slots: []SlotRange{{5000, 9999}}, Primary: Node{ID: id[3], ConfigEpoch: 6}},
		{ID: id[7], Primary: Node{ID: id[4]}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return topo, id
}

func TestTopologyQueries(t *testing.T) {
	topo, id := threeShards(t)
	shards := topo.Shards()
	if got := shards[0].Slots; !reflect.DeepEqual(got, []SlotRange{{0, 4999}, {10000, 16383}}) {
		t.Errorf("slot ranges not sorted: %v", got)
	}
	me, shard := topo.Myself()
	if me.ID != id[1] || me.Role != Replica || shard != &shards[0] {
		t.Errorf("Myself = %+v in shard %s: New must set the roles from the shape", me, shard.ID)
	}
	if n, s := topo.Node(id[4]); n == nil || s != &shards[2] || n.Role != Primary {
		t.Errorf("Node(%s) = %+v, %v", id[4], n, s)
	}
	if n, s := topo.Node(strings.Repeat("e", NodeIDLen)); n != nil || s != nil {
		t.Errorf("Node(unknown) = %+v, %v", n, s)
	}
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"SlotsAssigned", topo.SlotsAssigned(), NumSlots},
		{"KnownNodes", topo.KnownNodes(), 5},
		{"Size", topo.Size(), 2},
		{"FailedSlots", topo.FailedSlots(), 0},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	for slot, want := range map[int]*Shard{0: &shards[0], 4999: &shards[0], 5000: &shards[1], 9999: &shards[1], 10000: &shards[0], 16383: &shards[0]} {
		if got := topo.Owner(slot); got != want {
			t.Errorf("Owner(%d) = %s, want %s", slot, got.ID, want.ID)
		}
	}
	healths := []string{}
	for _, n := range shards[0].Nodes() {
		healths = append(healths, n.Health())
	}
	if want := []string{HealthOnline, HealthOnline, HealthFail}; !reflect.DeepEqual(healths, want) {
		t.Errorf("health = %v, want %v", healths, want)
	}
	if (&Node{Role: Replica}).Health() != HealthLoading {
		t.Error("a replica that applied nothing is not loading")
	}
}

func TestNewCopiesItsInput(t *testing.T) {
	id := ids(3)
	in := []Shard{{ID: id[2], Slots: []SlotRange{{1, 1}, {0, 0}}, Primary: Node{ID: id[0]}, Replicas: []Node{{ID: id[1]}}}}
	topo, err := New(id[0], 0, in)
	if err != nil {
		t.Fatal(err)
	}
	in[0].Slots[0] = SlotRange{5, 5}
	in[0].Replicas[0].IP = "changed"
	s := topo.Shards()[0]
	if s.Slots[0] != (SlotRange{0, 0}) || s.Slots[1] != (SlotRange{1, 1}) || s.Replicas[0].IP != "" {
		t.Errorf("the topology shares memory with the caller's shards: %+v", s)
	}
}

func TestSlotMap(t *testing.T) {
	id := ids(6)
	for _, tc := range []struct {
		name   string
		shards []Shard
		want   []string // "start-end:shard index"
	}{
		{"one shard", []Shard{{ID: id[5], Slots: []SlotRange{{0, NumSlots - 1}}, Primary: Node{ID: id[0]}}},
			[]string{"0-16383:0"}},
		{"adjacent ranges merge", []Shard{{ID: id[5], Slots: []SlotRange{{100, 199}, {0, 99}, {200, 200}}, Primary: Node{ID: id[0]}}},
			[]string{"0-200:0"}},
		{"gaps and interleaving", []Shard{
			{ID: id[4], Slots: []SlotRange{{0, 0}, {10, 19}}, Primary: Node{ID: id[0]}},
			{ID: id[5], Slots: []SlotRange{{1, 5}, {20, 16383}}, Primary: Node{ID: id[1]}},
		}, []string{"0-0:0", "1-5:1", "10-19:0", "20-16383:1"}},
		{"last slot alone", []Shard{{ID: id[5], Slots: []SlotRange{{NumSlots - 1, NumSlots - 1}}, Primary: Node{ID: id[0]}}},
			[]string{"16383-16383:0"}},
		{"no slots", []Shard{{ID: id[5], Primary: Node{ID: id[0]}}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			topo, err := New(id[0], 0, tc.shards)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range topo.SlotMap() {
				idx := -1
				for i := range topo.Shards() {
					if &topo.Shards()[i] == r.Shard {
						idx = i
					}
				}
				got = append(got, fmt.Sprintf("%d-%d:%d", r.Start, r.End, idx))
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("SlotMap = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFailedPrimary(t *testing.T) {
	id := ids(3)
	topo, err := New(id[0], 0, []Shard{
		{ID: id[2], Slots: []SlotRange{{0, 99}}, Primary: Node{ID: id[1], Failed: true}},
		{ID: strings.Repeat("f", NodeIDLen), Slots: []SlotRange{{100, NumSlots - 1}}, Primary: Node{ID: id[0]}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if topo.FailedSlots() != 100 || topo.OK() {
		t.Errorf("FailedSlots = %d, OK = %v; want 100, false", topo.FailedSlots(), topo.OK())
	}
}

func TestRoleString(t *testing.T) {
	if Primary.String() != "master" || Replica.String() != "replica" {
		t.Errorf("roles: %s, %s", Primary, Replica)
	}
}
