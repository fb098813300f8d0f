package plan

import (
	"math"
	"strconv"
	"strings"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

// NumSlots is the number of Redis Cluster hash slots.
const NumSlots = 16384

// BalancedSlots spreads the hash slots over n shards in contiguous ranges
// whose sizes differ by at most one, the way redis-cli --cluster create
// does (3 shards: 0-5460, 5461-10922, 10923-16383), so a Mnemo cluster's
// slot map looks like any Redis Cluster's. It returns nil for n < 1 or
// n > NumSlots.
func BalancedSlots(n int) [][]mnemov1.SlotRange {
	if n < 1 || n > NumSlots {
		return nil
	}
	per := float64(NumSlots) / float64(n)
	out := make([][]mnemov1.SlotRange, n)
	first, cursor := 0, 0.0
	for i := range n {
		last := int(math.Round(cursor + per - 1))
		if last > NumSlots-1 || i == n-1 {
			last = NumSlots - 1
		}
		out[i] = []mnemov1.SlotRange{{Start: int32(first), End: int32(last)}}
		first = last + 1
		cursor += per
	}
	return out
}

// FormatSlots writes slot ranges as Redis does in CLUSTER NODES: "0-5460"
// for a range, "7" for a single slot, comma-separated.
func FormatSlots(ranges []mnemov1.SlotRange) string {
	parts := make([]string, 0, len(ranges))
	for _, r := range ranges {
		if r.Start == r.End {
			parts = append(parts, strconv.Itoa(int(r.Start)))
			continue
		}
		parts = append(parts, strconv.Itoa(int(r.Start))+"-"+strconv.Itoa(int(r.End)))
	}
	return strings.Join(parts, ",")
}

// owners maps every slot to the index of the shard that owns it, or -1.
func owners(assignment [][]mnemov1.SlotRange) []int {
	own := make([]int, NumSlots)
	for i := range own {
		own[i] = -1
	}
	for shard, ranges := range assignment {
		for _, r := range ranges {
			for s := max(r.Start, 0); s <= min(r.End, NumSlots-1); s++ {
				own[s] = shard
			}
		}
	}
	return own
}

// SlotsToMove counts the slots whose owner differs between two assignments
// (shard index → ranges): the work a resharding from one to the other does.
func SlotsToMove(from, to [][]mnemov1.SlotRange) int32 {
	a, b := owners(from), owners(to)
	var n int32
	for s := range a {
		if a[s] != b[s] {
			n++
		}
	}
	return n
}

// ParseSlots reads what FormatSlots writes ("0-5460,7"); it skips what it
// cannot read, since it only reads replies of the data plane.
func ParseSlots(s string) []mnemov1.SlotRange {
	var out []mnemov1.SlotRange
	for _, part := range strings.Split(s, ",") {
		a, b, isRange := strings.Cut(strings.TrimSpace(part), "-")
		start, err := strconv.Atoi(a)
		if err != nil {
			continue
		}
		end := start
		if isRange {
			if end, err = strconv.Atoi(b); err != nil {
				continue
			}
		}
		if start < 0 || end >= NumSlots || start > end {
			continue
		}
		out = append(out, mnemov1.SlotRange{Start: int32(start), End: int32(end)})
	}
	return out
}
