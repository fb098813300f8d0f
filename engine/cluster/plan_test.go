package cluster

import (
	"slices"
	"testing"
)

// apply returns the slot owners after the moves, failing the test when a
// move takes a slot its source does not own.
func applyMoves(t *testing.T, c *Config, moves []Move) *[NumSlots]int16 {
	t.Helper()
	own := c.Owners()
	for _, m := range moves {
		for _, r := range m.Slots {
			for s := r.Start; s <= r.End; s++ {
				if int(own[s]) != m.From {
					t.Fatalf("move %d→%d takes slot %d owned by %d", m.From, m.To, s, own[s])
				}
				own[s] = int16(m.To)
			}
		}
	}
	return own
}

func TestPlan(t *testing.T) {
	uneven := &Config{Shards: []ShardConfig{
		{Num: 0, Slots: []SlotRange{{0, 9999}}},
		{Num: 1, Slots: []SlotRange{{10000, 12000}, {14000, 16383}}},
		{Num: 2, Slots: []SlotRange{{12001, 13999}}},
	}}
	for _, tc := range []struct {
		name   string
		from   *Config
		target []int
		moved  int // slots moved: the minimum
		moves  int // number of moves
	}{
		{"balanced stays", EvenConfig(3), []int{0, 1, 2}, 0, 0},
		{"1 to 3", EvenConfig(1), []int{0, 1, 2}, 10922, 2},
		{"3 to 5", EvenConfig(3), []int{0, 1, 2, 3, 4}, 6553, 4},
		{"5 to 2", EvenConfig(5), []int{0, 1}, 9830, 4},
		{"5 to 2 others", EvenConfig(5), []int{3, 4}, 9830, 4},
		{"3 to 1", EvenConfig(3), []int{2}, 10923, 2},
		{"uneven", uneven, []int{0, 1, 2}, 10000 - 5462, 2},
		{"duplicates in target", EvenConfig(2), []int{1, 1, 0, 0}, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			moves := PlanConfig(tc.from, tc.target)
			moved := 0
			for _, m := range moves {
				moved += m.Len()
			}
			if moved != tc.moved || len(moves) != tc.moves {
				t.Fatalf("moved %d slots in %d moves, want %d in %d: %+v", moved, len(moves), tc.moved, tc.moves, moves)
			}
			own := applyMoves(t, tc.from, moves)
			per := RangesByOwner(own)
			lo, hi := NumSlots, 0
			for _, n := range tc.target {
				c := 0
				for _, r := range per[n] {
					c += r.Len()
				}
				lo, hi = min(lo, c), max(hi, c)
			}
			if hi-lo > 1 {
				t.Fatalf("uneven after the plan: %d to %d slots", lo, hi)
			}
			for n := range per {
				if !slices.Contains(tc.target, n) {
					t.Fatalf("shard %d still owns %v", n, per[n])
				}
			}
			if again := Plan(per, tc.target); len(again) != 0 {
				t.Fatalf("a balanced map plans more moves: %+v", again)
			}
		})
	}
}

func TestEvenConfigMatchesRedisCli(t *testing.T) {
	c := EvenConfig(3)
	want := [][]SlotRange{{{0, 5460}}, {{5461, 10922}}, {{10923, 16383}}}
	for i, s := range c.Shards {
		if !slices.Equal(s.Slots, want[i]) {
			t.Fatalf("shard %d: %v, want %v", i, s.Slots, want[i])
		}
	}
}

func TestMigrationLifecycle(t *testing.T) {
	c := EvenConfig(2)
	m := Migration{ID: "m1", From: 0, To: 1, Slots: []SlotRange{{100, 199}}}
	started, err := c.StartMigration(m)
	if err != nil {
		t.Fatal(err)
	}
	if started.Epoch != c.Epoch+1 || started.Migration("m1") == nil {
		t.Fatalf("start: epoch %d, migrations %v", started.Epoch, started.Migrations)
	}
	if _, err := started.StartMigration(Migration{ID: "m2", From: 0, To: 1, Slots: []SlotRange{{150, 150}}}); err == nil {
		t.Fatal("overlapping migration accepted")
	}
	if _, err := c.StartMigration(Migration{ID: "m3", From: 1, To: 0, Slots: []SlotRange{{0, 0}}}); err == nil {
		t.Fatal("migration of slots the source does not own accepted")
	}
	if _, err := c.StartMigration(Migration{ID: "m4", From: 1, To: 1, Slots: []SlotRange{{9000, 9000}}}); err == nil {
		t.Fatal("migration to itself accepted")
	}
	cancelled, err := started.EndMigration("m1", false)
	if err != nil {
		t.Fatal(err)
	}
	if own := cancelled.Owners(); own[150] != 0 || len(cancelled.Migrations) != 0 {
		t.Fatalf("cancel: slot 150 owned by %d, migrations %v", own[150], cancelled.Migrations)
	}
	flipped, err := started.EndMigration("m1", true)
	if err != nil {
		t.Fatal(err)
	}
	own := flipped.Owners()
	if own[99] != 0 || own[100] != 1 || own[199] != 1 || own[200] != 0 {
		t.Fatalf("flip: owners around the range %d %d %d %d", own[99], own[100], own[199], own[200])
	}
	if s := flipped.Shard(1); s.Epoch != flipped.Epoch {
		t.Fatalf("target epoch %d, config epoch %d", s.Epoch, flipped.Epoch)
	}
	if want := []SlotRange{{0, 99}, {200, 8191}}; !slices.Equal(flipped.Shard(0).Slots, want) {
		t.Fatalf("source keeps %v, want %v", flipped.Shard(0).Slots, want)
	}
	if _, err := flipped.EndMigration("m1", true); err == nil {
		t.Fatal("ended a migration twice")
	}
}
