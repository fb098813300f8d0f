package cluster

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// Config is the cluster's slot map as the control bucket keeps it under
// ConfigKey: which shard owns which slots, the migrations in progress,
// and the config epoch, bumped by every change. It is the one record
// every node of a cluster agrees on; changes are compare-and-set on its
// revision, so two changes never both win.
type Config struct {
	// Epoch counts the changes of the slot map (Redis's currentEpoch).
	Epoch  uint64        `json:"epoch"`
	Shards []ShardConfig `json:"shards"`
	// Migrations are the slot moves in progress. The slots of a
	// migration still belong to From until it flips.
	Migrations []Migration `json:"migrations,omitempty"`
}

// ShardConfig is one shard's part of the slot map.
type ShardConfig struct {
	Num int `json:"shard"`
	// Epoch is the config epoch of the shard's last gain of slots
	// (Redis's configEpoch of its primary).
	Epoch uint64      `json:"epoch"`
	Slots []SlotRange `json:"slots"`
}

// Migration is a move of slot ranges from one shard to another.
type Migration struct {
	ID    string      `json:"id"`
	From  int         `json:"from"`
	To    int         `json:"to"`
	Slots []SlotRange `json:"slots"`
	// Driver is the node ID of the source primary that runs the move. A
	// new primary of the source finds someone else's migration and
	// cancels it before it takes writes to those slots.
	Driver string `json:"driver"`
}

// Errors of slot-map changes.
var (
	ErrNotOwner         = errors.New("the source shard does not own every slot of the range")
	ErrSlotsMigrating   = errors.New("a slot of the range is already migrating")
	ErrSameShard        = errors.New("source and target shard are the same")
	ErrUnknownMigration = errors.New("no such migration")
)

// ShardID returns the 40-hex ID of shard n: the same on every node and
// across restarts.
func ShardID(n int) string {
	sum := sha1.Sum([]byte("mnemo-shard-" + strconv.Itoa(n)))
	return hex.EncodeToString(sum[:])
}

// EvenConfig returns the slot map of a new cluster of n shards (0…n-1),
// in contiguous ranges whose sizes differ by at most one, as
// redis-cli --cluster create spreads them (3 shards: 0-5460,
// 5461-10922, 10923-16383).
func EvenConfig(n int) *Config {
	c := &Config{Epoch: 1}
	first := 0
	for i := range n {
		// Round to nearest like controllers/plan.BalancedSlots.
		last := (NumSlots*(i+1)*2+n)/(2*n) - 1
		if i == n-1 {
			last = NumSlots - 1
		}
		c.Shards = append(c.Shards, ShardConfig{Num: i, Epoch: 1, Slots: []SlotRange{{first, last}}})
		first = last + 1
	}
	return c
}

// Owners returns the shard number owning each slot, -1 when none does.
func (c *Config) Owners() *[NumSlots]int16 {
	var own [NumSlots]int16
	for i := range own {
		own[i] = -1
	}
	for _, s := range c.Shards {
		for _, r := range s.Slots {
			for slot := max(r.Start, 0); slot <= min(r.End, NumSlots-1); slot++ {
				own[slot] = int16(s.Num)
			}
		}
	}
	return &own
}

// Shard returns shard n's entry, or nil.
func (c *Config) Shard(n int) *ShardConfig {
	for i := range c.Shards {
		if c.Shards[i].Num == n {
			return &c.Shards[i]
		}
	}
	return nil
}

// Migration returns the migration with the given ID, or nil.
func (c *Config) Migration(id string) *Migration {
	for i := range c.Migrations {
		if c.Migrations[i].ID == id {
			return &c.Migrations[i]
		}
	}
	return nil
}

// Clone returns a deep copy.
func (c *Config) Clone() *Config {
	out := &Config{Epoch: c.Epoch}
	for _, s := range c.Shards {
		s.Slots = slices.Clone(s.Slots)
		out.Shards = append(out.Shards, s)
	}
	for _, m := range c.Migrations {
		m.Slots = slices.Clone(m.Slots)
		out.Migrations = append(out.Migrations, m)
	}
	return out
}

// StartMigration returns the config with migration m added: every slot
// must belong to m.From and none may be migrating already.
func (c *Config) StartMigration(m Migration) (*Config, error) {
	if m.From == m.To {
		return nil, ErrSameShard
	}
	own := c.Owners()
	for _, r := range m.Slots {
		if r.Start < 0 || r.End >= NumSlots || r.Start > r.End {
			return nil, ErrBadSlotRange
		}
		for slot := r.Start; slot <= r.End; slot++ {
			if int(own[slot]) != m.From {
				return nil, fmt.Errorf("slot %d: %w", slot, ErrNotOwner)
			}
		}
	}
	for _, o := range c.Migrations {
		for _, a := range o.Slots {
			for _, b := range m.Slots {
				if a.Start <= b.End && b.Start <= a.End {
					return nil, ErrSlotsMigrating
				}
			}
		}
	}
	n := c.Clone()
	n.Epoch++
	m.Slots = slices.Clone(m.Slots)
	n.Migrations = append(n.Migrations, m)
	return n, nil
}

// EndMigration returns the config without migration id; with flip, its
// slots now belong to its target, whose shard epoch becomes the new
// config epoch (it gained slots, as a Redis primary bumps its epoch).
func (c *Config) EndMigration(id string, flip bool) (*Config, error) {
	m := c.Migration(id)
	if m == nil {
		return nil, ErrUnknownMigration
	}
	n := c.Clone()
	n.Epoch++
	n.Migrations = slices.DeleteFunc(n.Migrations, func(x Migration) bool { return x.ID == id })
	if !flip {
		return n, nil
	}
	own := n.Owners()
	for _, r := range m.Slots {
		for slot := r.Start; slot <= r.End; slot++ {
			own[slot] = int16(m.To)
		}
	}
	epochs := map[int]uint64{}
	for _, s := range n.Shards {
		epochs[s.Num] = s.Epoch
	}
	epochs[m.To] = n.Epoch
	n.Shards = n.Shards[:0]
	for num, ranges := range RangesByOwner(own) {
		n.Shards = append(n.Shards, ShardConfig{Num: num, Epoch: epochs[num], Slots: ranges})
	}
	slices.SortFunc(n.Shards, func(a, b ShardConfig) int { return a.Num - b.Num })
	return n, nil
}

// RangesByOwner turns a slot → shard table into each shard's maximal
// slot ranges, in slot order.
func RangesByOwner(own *[NumSlots]int16) map[int][]SlotRange {
	out := map[int][]SlotRange{}
	start := 0
	for slot := 1; slot <= NumSlots; slot++ {
		if slot < NumSlots && own[slot] == own[start] {
			continue
		}
		if o := int(own[start]); o >= 0 {
			out[o] = append(out[o], SlotRange{start, slot - 1})
		}
		start = slot
	}
	return out
}

// InRanges reports whether slot lies in one of ranges.
func InRanges(ranges []SlotRange, slot int) bool {
	for _, r := range ranges {
		if slot >= r.Start && slot <= r.End {
			return true
		}
	}
	return false
}
