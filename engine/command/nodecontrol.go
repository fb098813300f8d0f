package command

import (
	"strconv"
	"sync/atomic"
	"time"
)

// nodeControl lets `mnemo local --shards/--replicas` stop or freeze one of
// its in-process nodes on request, for demos and tests of failover: nodes
// that are processes of their own get SIGKILL and SIGSTOP instead.
type nodeControl struct {
	// kill stops the node: its listener and connections close and its
	// election stops, so its lease expires and a replica takes over.
	// Nil outside mnemo local's clusters.
	kill func()
	// pausedUntil (Unix ns) freezes the node's election loop, as SIGSTOP
	// would: no lease renewal, no claim, no status.
	pausedUntil atomic.Int64
}

// SetNodeKill installs what DEBUG KILL-NODE does; mnemo local calls it for
// each node of an in-process cluster.
func (e *Engine) SetNodeKill(kill func()) { e.ctl.kill = kill }

// electionPaused reports whether DEBUG PAUSE-NODE froze the node.
func (e *Engine) electionPaused(now time.Time) bool {
	return now.UnixNano() < e.ctl.pausedUntil.Load()
}

const errNodeControl = "ERR DEBUG KILL-NODE and PAUSE-NODE are only served by the nodes of mnemo local --shards N or --replicas R"

// debugKillNode is DEBUG KILL-NODE: it answers OK, then the node stops.
func debugKillNode(c *Ctx) {
	kill := c.E.ctl.kill
	if kill == nil {
		c.Error(errNodeControl)
		return
	}
	c.W.OK()
	// After the reply is on its way, and outside the engine lock the
	// command holds: stopping the node closes this connection too.
	time.AfterFunc(50*time.Millisecond, kill)
}

// debugPauseNode is DEBUG PAUSE-NODE milliseconds: it answers OK, then the
// node neither serves commands nor renews its lease for that long, as a
// process stopped by SIGSTOP (a long GC pause) would.
func debugPauseNode(c *Ctx) {
	e := c.E
	if e.ctl.kill == nil {
		c.Error(errNodeControl)
		return
	}
	ms, err := strconv.ParseInt(c.Arg(2), 10, 64)
	if err != nil || ms <= 0 || ms > 600_000 {
		c.Error("ERR the pause must be 1 to 600000 milliseconds")
		return
	}
	d := time.Duration(ms) * time.Millisecond
	e.ctl.pausedUntil.Store(time.Now().Add(d).UnixNano())
	c.W.OK()
	go func() {
		// Hold the engine as a stopped process holds everything; this
		// command's own Execute releases it first, so the reply goes out.
		e.mu.Lock()
		time.Sleep(time.Until(time.Unix(0, e.ctl.pausedUntil.Load())))
		e.mu.Unlock()
	}()
}
