package command

import (
	"strconv"
	"time"

	"github.com/mnemo-dev/mnemo/engine/cluster"
)

// Admin subcommands for whoever reshapes the cluster (the operator, a
// person with redis-cli), Mnemo's own in the style of Valkey 9's atomic
// slot migration:
//
//	CLUSTER MIGRATESLOTS SLOTSRANGE start end [start end ...] SHARD n
//	    [AUTH password | AUTH2 username password]
//	CLUSTER GETSLOTMIGRATIONS
//	CLUSTER CANCELSLOTMIGRATIONS
//
// MIGRATESLOTS goes to the primary of the shard that owns the slots and
// answers +OK once the migration started; it runs in the background. The
// credentials, as MIGRATE takes them, authenticate the source's
// connections to the target (needed when the default user is off); they
// are redacted from the slow log.
// GETSLOTMIGRATIONS shows this node's running and last migrations with
// their progress.

func init() {
	register("cluster|migrateslots", clusterMigrateSlotsCmd)
	register("cluster|getslotmigrations", clusterGetSlotMigrationsCmd)
	register("cluster|cancelslotmigrations", clusterCancelSlotMigrationsCmd)
}

func clusterMigrateSlotsCmd(c *Ctx) {
	if !c.ArgIs(2, "SLOTSRANGE") {
		c.ErrSyntax()
		return
	}
	var ranges []cluster.SlotRange
	i := 3
	for ; i+1 < len(c.Args) && !c.ArgIs(i, "SHARD"); i += 2 {
		start, ok := c.Int(i)
		if !ok {
			return
		}
		end, ok := c.Int(i + 1)
		if !ok {
			return
		}
		if start < 0 || end >= cluster.NumSlots || start > end {
			c.Error(errInvalidSlot)
			return
		}
		ranges = append(ranges, cluster.SlotRange{Start: int(start), End: int(end)})
	}
	if len(ranges) == 0 || i+2 > len(c.Args) || !c.ArgIs(i, "SHARD") {
		c.ErrSyntax()
		return
	}
	to, ok := c.Int(i + 1)
	if !ok {
		return
	}
	for j := i + 2; j < len(c.Args); j++ {
		switch {
		case c.ArgIs(j, "AUTH"):
			c.Redact(j + 1)
		case c.ArgIs(j, "AUTH2"):
			c.Redact(j + 2)
		}
	}
	var auth migrateAuth
	switch rest := len(c.Args) - (i + 2); {
	case rest == 0:
	case rest == 2 && c.ArgIs(i+2, "AUTH"):
		auth = migrateAuth{"AUTH", string(c.Args[i+3])}
	case rest == 3 && c.ArgIs(i+2, "AUTH2"):
		auth = migrateAuth{"AUTH", string(c.Args[i+3]), string(c.Args[i+4])}
	default:
		c.ErrSyntax()
		return
	}
	e := c.E
	cl := e.topo.cl
	if cl == nil {
		c.Error(errNotClustered)
		return
	}
	if int(to) == cl.opts.Shard || to < 0 {
		c.Error("ERR Slots can only migrate to another shard")
		return
	}
	if cfg, _ := cl.config(); cfg != nil {
		own := cfg.Owners()
		for _, r := range ranges {
			for s := r.Start; s <= r.End; s++ {
				if int(own[s]) != cl.opts.Shard {
					c.Error("ERR Slot " + strconv.Itoa(s) + " is not owned by this node's shard")
					return
				}
			}
		}
	}
	if _, msg := e.startMigration(cl.ctx, int(to), ranges, auth); msg != "" {
		c.Error(msg)
		return
	}
	c.W.OK()
}

// clusterGetSlotMigrationsCmd lists the migrations this node drove, the
// oldest first, each as a map.
func clusterGetSlotMigrationsCmd(c *Ctx) {
	cl := c.E.topo.cl
	if cl == nil {
		c.W.Array(0)
		return
	}
	c.W.Array(len(cl.history))
	for _, m := range cl.history {
		end := m.finished
		if end.IsZero() {
			end = time.Now()
		}
		pct := 100.0
		if m.state != migDone && m.keysTotal > 0 {
			pct = min(99.9, 100*float64(m.keysSent)/float64(m.keysTotal))
		}
		errText := ""
		if m.err != nil {
			errText = m.err.Error()
		}
		c.W.Map(12)
		c.W.BulkString("id")
		c.W.BulkString(m.id)
		c.W.BulkString("slots")
		c.W.BulkString(formatRanges(m.ranges))
		c.W.BulkString("source-shard")
		c.W.Int(int64(m.from))
		c.W.BulkString("target-shard")
		c.W.Int(int64(m.to))
		c.W.BulkString("state")
		c.W.BulkString(m.state)
		c.W.BulkString("keys-total")
		c.W.Int(m.keysTotal)
		c.W.BulkString("keys-sent")
		c.W.Int(m.keysSent)
		c.W.BulkString("bytes-sent")
		c.W.Int(m.bytesSent)
		c.W.BulkString("keys-dropped")
		c.W.Int(m.keysDropped)
		c.W.BulkString("percent")
		c.W.BulkString(strconv.FormatFloat(pct, 'f', 1, 64))
		c.W.BulkString("elapsed-ms")
		c.W.Int(end.Sub(m.started).Milliseconds())
		c.W.BulkString("error")
		c.W.BulkString(errText)
	}
}

func clusterCancelSlotMigrationsCmd(c *Ctx) {
	m := c.E.topo.out
	if m == nil {
		c.Error(errNoMigration)
		return
	}
	m.fail(errMigrationCancelled)
	c.W.OK()
}
