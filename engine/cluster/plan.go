package cluster

import (
	"cmp"
	"slices"
)

// Move is one step of a rebalance plan: slot ranges that go from one
// shard to another, each range one atomic migration.
type Move struct {
	From, To int
	Slots    []SlotRange
}

// Len returns how many slots the move carries.
func (m Move) Len() int {
	n := 0
	for _, r := range m.Slots {
		n += r.Len()
	}
	return n
}

// Plan returns the moves that spread the hash slots evenly over the
// shards numbered in target, moving as few slots as possible: a shard
// keeps min(its slots, its share) of what it has, so every slot moves at
// most once and only shards above their share give any away. Shards not
// in target give away everything (scale in). Shares differ by at most
// one slot; the larger shares go to the shards that hold the most, which
// keeps moves fewest. A donor gives away the end of its ranges, so what
// it keeps and what moves stay contiguous. Unassigned slots are left
// alone. owners is each shard's slot ranges (Config.Shards); the result
// is deterministic and ordered by source then target shard.
func Plan(owners map[int][]SlotRange, target []int) []Move {
	if len(target) == 0 {
		return nil
	}
	target = slices.Clone(target)
	slices.Sort(target)
	target = slices.Compact(target)
	count := map[int]int{}
	assigned := 0
	for n, rs := range owners {
		for _, r := range rs {
			count[n] += r.Len()
			assigned += r.Len()
		}
	}
	// Shares: the larger ones to the shards holding the most.
	byHeld := slices.Clone(target)
	slices.SortStableFunc(byHeld, func(a, b int) int {
		return cmp.Or(cmp.Compare(count[b], count[a]), cmp.Compare(a, b))
	})
	share := map[int]int{}
	for i, n := range byHeld {
		share[n] = assigned / len(target)
		if i < assigned%len(target) {
			share[n]++
		}
	}
	// Slots given away, in slot order per donor (donors in number order).
	type gift struct{ slot, from int }
	var gifts []gift
	donors := make([]int, 0, len(owners))
	for n := range owners {
		donors = append(donors, n)
	}
	slices.Sort(donors)
	for _, n := range donors {
		excess := count[n] - share[n]
		if excess <= 0 {
			continue
		}
		rs := slices.Clone(owners[n])
		slices.SortFunc(rs, func(a, b SlotRange) int { return a.Start - b.Start })
		var given []int
		for i := len(rs) - 1; i >= 0 && excess > 0; i-- {
			for s := rs[i].End; s >= rs[i].Start && excess > 0; s-- {
				given = append(given, s)
				excess--
			}
		}
		slices.Reverse(given)
		for _, s := range given {
			gifts = append(gifts, gift{s, n})
		}
	}
	// Receivers in number order take their deficits.
	var moves []Move
	gi := 0
	for _, n := range target {
		deficit := share[n] - count[n]
		for ; deficit > 0 && gi < len(gifts); deficit-- {
			g := gifts[gi]
			gi++
			last := len(moves) - 1
			if last >= 0 && moves[last].From == g.from && moves[last].To == n {
				rs := moves[last].Slots
				if rs[len(rs)-1].End == g.slot-1 {
					rs[len(rs)-1].End = g.slot
				} else {
					moves[last].Slots = append(rs, SlotRange{g.slot, g.slot})
				}
				continue
			}
			moves = append(moves, Move{From: g.from, To: n, Slots: []SlotRange{{g.slot, g.slot}}})
		}
	}
	slices.SortStableFunc(moves, func(a, b Move) int {
		return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To))
	})
	return moves
}

// PlanConfig plans the rebalance of a slot map to the shards in target.
func PlanConfig(c *Config, target []int) []Move {
	owners := map[int][]SlotRange{}
	for _, s := range c.Shards {
		owners[s.Num] = s.Slots
	}
	return Plan(owners, target)
}
