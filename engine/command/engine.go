package command

import (
	"bytes"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mnemo-dev/mnemo/engine/cluster"
	"github.com/mnemo-dev/mnemo/engine/config"
	"github.com/mnemo-dev/mnemo/engine/keyspace"
)

// Engine executes commands against one node's keyspace.
type Engine struct {
	// mu serialises command execution, as Redis's single thread does.
	mu  sync.Mutex
	db  *keyspace.DB   // guarded by mu
	cfg *config.Config // safe for concurrent use
	tab *Table

	clients      map[int64]*Client // guarded by mu
	nextClientID atomic.Int64

	// blocking: clients blocked on each key in arrival order, and the keys
	// touched since the last time blocked clients were served. Guarded by
	// mu.
	blockedOn map[string][]*Client
	readyKeys []string
	readySet  map[string]bool

	watchers map[string]map[*Client]struct{} // guarded by mu

	pubsub pubsub // guarded by mu

	tracking *trackingState // guarded by mu; nil until a client tracks (tracking.go)
	acl      aclState       // users and the ACL log, guarded by mu; acl.go
	ctl      nodeControl    // mnemo local's kill and pause of a node; nodecontrol.go

	hfe hfeRegistry // guarded by mu; hashes with expiring fields (hash_ttl_expire.go)

	topo topoState // the cluster topology and READONLY clients; cluster.go

	stats stats // guarded by mu
	dirty int64 // guarded by mu; changes since start

	evictPool evictionPool // guarded by mu; evict.go

	// log is the shard's transactional log, nil without durability.
	log *durable
	// replaying is set while effects read from the log are applied.
	// Guarded by mu.
	replaying bool
	// fx collects what the running command group did. Guarded by mu.
	fx      effects
	slowlog slowlog
	latency latencyMonitor
	// scripts is EVAL's and FUNCTION's state; script_run.go.
	scripts scriptEngine
	snap    snapState // snapshots: BGSAVE, SAVE, LASTSAVE (save.go)

	started time.Time
	stop    chan struct{}
	done    chan struct{}

	// Now, if set, replaces the wall clock for command times (tests).
	// Durations are always measured on the real monotonic clock.
	Now func() time.Time
}

// stats are the counters INFO reports.
type stats struct {
	totalConnections int64
	totalCommands    int64
	rejectedConns    int64
	keyspaceHits     int64
	keyspaceMisses   int64
	errorReplies     int64
	expiredStalePerc float64
	pubsubMessages   int64
	evictedKeys      int64
	// errorCodes counts error replies by their prefix (ERR, WRONGTYPE…)
	// for INFO errorstats.
	errorCodes map[string]int64
	net        NetStats
}

// NetStats count bytes read from and written to clients; the server adds
// to them without the engine lock.
type NetStats struct {
	Input, Output atomic.Int64
}

// countError records an error reply for INFO errorstats.
func (s *stats) countError(msg []byte) {
	s.errorReplies++
	code := msg
	if i := bytes.IndexByte(code, ' '); i >= 0 {
		code = code[:i]
	}
	if len(code) > 128 {
		code = code[:128]
	}
	if s.errorCodes == nil {
		s.errorCodes = map[string]int64{}
	}
	s.errorCodes[string(code)]++
}

// New returns an engine with the given configuration and an empty
// keyspace.
func New(cfg *config.Config) *Engine {
	e := &Engine{
		db:        keyspace.New(),
		cfg:       cfg,
		tab:       DefaultTable().clone(),
		clients:   map[int64]*Client{},
		blockedOn: map[string][]*Client{},
		readySet:  map[string]bool{},
		watchers:  map[string]map[*Client]struct{}{},
		started:   time.Now(),
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
	}
	e.pubsub.init()
	e.slowlog.init()
	e.db.OnExpire = e.keyExpired
	return e
}

// Config returns the engine's configuration.
func (e *Engine) Config() *config.Config { return e.cfg }

// Start runs the engine's background work (active expiry) until Stop.
func (e *Engine) Start() { go e.cron() }

// Stop ends the background work.
func (e *Engine) Stop() {
	close(e.stop)
	<-e.done
}

// cron is Redis's serverCron in miniature: active expiry at hz times a
// second.
func (e *Engine) cron() {
	defer close(e.done)
	hz := e.cfg.Int("hz")
	t := time.NewTicker(time.Second / time.Duration(hz))
	defer t.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
		}
		e.mu.Lock()
		if e.IsPrimary() {
			// A replica's keys and fields expire, and are evicted, by the
			// primary's DEL and HDEL in the log.
			e.activeExpire()
			e.activeExpireHashFields()
			e.cronEvict()
		}
		if e.tracking != nil {
			e.trackingBroadcast(nil)
		}
		e.commitGroup()
		e.mu.Unlock()
		if nhz := e.cfg.Int("hz"); nhz != hz {
			hz = nhz
			t.Reset(time.Second / time.Duration(hz))
		}
	}
}

// activeExpire samples keys with a TTL and removes expired ones, repeating
// while more than a quarter of a sample was expired, within a time budget
// of a quarter of a cron period, as Redis's activeExpireCycle does.
func (e *Engine) activeExpire() {
	const sample = 20
	start := time.Now()
	budget := time.Second / time.Duration(e.cfg.Int("hz")) / 4
	for {
		now := e.now().UnixMilli()
		n, expired := e.db.ExpireSample(sample, now)
		if n == 0 || expired*4 <= n || time.Since(start) > budget {
			return
		}
	}
}

// NewClient registers a new connection.
func (e *Engine) NewClient(addr, laddr string, closer func()) *Client {
	c := &Client{
		ID:      e.nextClientID.Add(1),
		W:       newWriter(),
		pushW:   newWriter(),
		Addr:    addr,
		LAddr:   laddr,
		Closer:  closer,
		created: e.now(),
		Notify:  make(chan struct{}, 1),
	}
	c.olim.cfg = e.cfg
	c.Touch(c.created)
	e.mu.Lock()
	e.clients[c.ID] = c
	e.stats.totalConnections++
	e.mu.Unlock()
	return c
}

// ClientCount returns the number of connected clients.
func (e *Engine) ClientCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.clients)
}

// RejectClient counts a connection refused (max clients).
func (e *Engine) RejectClient() {
	e.mu.Lock()
	e.stats.rejectedConns++
	e.mu.Unlock()
}

// RemoveClient forgets a closed connection: its subscriptions, watches and
// blocked command go with it.
func (e *Engine) RemoveClient(c *Client) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if c.block != nil {
		e.unblock(c)
	}
	e.unwatchAll(c)
	e.pubsub.unsubscribeAll(c)
	e.trackingOff(c)
	delete(e.clients, c.ID)
}

// Execute runs one command for client c and writes its reply to c.W. It
// returns true when the command blocked; the caller then waits with
// WaitBlocked before it sends the reply.
func (e *Engine) Execute(c *Client, args [][]byte) (blocked bool) {
	start := time.Now()
	now := start
	if e.Now != nil {
		now = e.Now()
	}
	c.Touch(now)
	if e.busyScript(c, args) {
		return false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	mark := c.W.Len()
	e.trackingBeforeExecute(c)
	e.dispatch(c, args, now, start)
	e.serveBlocked()
	e.applyReplyMode(c, mark)
	e.trackingAfterExecute(c)
	if e.log != nil {
		e.fx.marks = append(e.fx.marks, pendingMark{c, mark, c.W.Len()})
	}
	e.commitGroup()
	if c.block != nil {
		// The client waits. Whoever serves it writes its reply into W
		// under this lock, while the connection sends the replies of the
		// commands before it without the lock: hand those over as a copy,
		// with the commits they wait for.
		c.preBlock = append(c.preBlock[:0], c.W.Bytes()...)
		c.preBlockMarks = c.marks
		c.marks = nil
		c.W.Reset()
		return true
	}
	return false
}

// applyReplyMode drops the replies a CLIENT REPLY OFF/SKIP client asked not
// to get.
func (e *Engine) applyReplyMode(c *Client, mark int) {
	switch c.replyMode {
	case replyOff:
		c.W.Truncate(mark)
	case replySkip:
		c.W.Truncate(mark)
		c.replyMode = replyOn
	case replySkipNext:
		c.replyMode = replySkip
	}
}

// dispatch looks the command up, checks it and runs or queues it.
func (e *Engine) dispatch(c *Client, args [][]byte, now, start time.Time) {
	w := c.W
	cmd := e.tab.lookupBytes(args[0])
	if cmd == nil {
		c.lastCmd = ""
		e.reject(c, nil, errUnknownCommand(args))
		return
	}
	// CLIENT LIST shows the last command looked up, run or not.
	c.lastCmd = cmd.Name
	if cmd.Subcommands != nil && (cmd.Handler == nil || len(args) >= 2) {
		if len(args) < 2 {
			e.reject(c, cmd, errWrongArgs(cmd.Name))
			return
		}
		sub := cmd.Subcommands[strings.ToLower(string(args[1]))]
		if sub == nil {
			if cmd.Handler == nil {
				e.reject(c, cmd, errUnknownSubcommand(string(args[1]), strings.ToUpper(cmd.Name)))
				return
			}
		} else {
			cmd = sub
			c.lastCmd = cmd.Name
		}
	}
	if !cmd.arityOK(len(args)) {
		e.reject(c, cmd, errWrongArgs(cmd.Name))
		return
	}
	if msg := e.checkACL(c, cmd, args, now); msg != "" {
		e.reject(c, cmd, msg)
		return
	}
	if c.subscriptions() > 0 && w.Proto == 2 && !allowedWhileSubscribed(cmd) {
		e.reject(c, cmd, "ERR Can't execute '"+cmd.Name+"': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
		return
	}
	if msg := e.clusterRoute(c, cmd, args, c.multi != nil && !isTransactionControl(cmd)); msg != "" {
		e.reject(c, cmd, msg)
		return
	}
	if msg := e.roleRefusal(c, cmd, args); msg != "" {
		e.reject(c, cmd, msg)
		return
	}
	if msg := e.tooBigForLog(cmd, args); msg != "" {
		e.reject(c, cmd, msg)
		return
	}
	if msg := e.checkMemory(c, cmd); msg != "" {
		e.reject(c, cmd, msg)
		return
	}
	if c.multi != nil && !isTransactionControl(cmd) {
		if cmd.Is(FlagNoMulti) {
			e.reject(c, cmd, errNotAllowedInMulti)
			return
		}
		if msg := e.checkSlots(cmd, args); msg != "" {
			e.reject(c, cmd, msg)
			return
		}
		c.multi.queue(cmd, args)
		w.Status("QUEUED")
		return
	}
	if msg := e.checkSlots(cmd, args); msg != "" {
		e.reject(c, cmd, msg)
		return
	}
	e.call(c, cmd, args, now, start, false)
}

// reject answers a command refused before it ran. Inside MULTI it also
// dooms the transaction, as Redis's flagTransaction does.
func (e *Engine) reject(c *Client, cmd *Command, msg string) {
	if c.multi != nil {
		c.multi.dirty = true
	}
	if cmd != nil {
		cmd.Rejected++
	}
	e.stats.countError([]byte(msg))
	c.W.Error(msg)
}

// checkSlots returns the CROSSSLOT error when a command's keys hash to
// different slots: Mnemo always speaks cluster mode.
func (e *Engine) checkSlots(cmd *Command, args [][]byte) string {
	if len(cmd.keySpecs) == 0 || (cmd.FirstKey > 0 && cmd.LastKey == cmd.FirstKey && !cmd.Is(FlagMovableKeys)) {
		// No keys, or exactly one: nothing to compare.
		return ""
	}
	var posArr [8]int
	pos := cmd.KeyPositions(args, posArr[:0])
	if len(pos) < 2 {
		return ""
	}
	slot := keySlot(args[pos[0]])
	for _, p := range pos[1:] {
		if keySlot(args[p]) != slot {
			return errCrossSlot
		}
	}
	return ""
}

// call runs a command's handler and accounts for it.
// now is the command's time (Ctx.Now) and start the real clock reading its
// duration is measured from.
func (e *Engine) call(c *Client, cmd *Command, args [][]byte, now, start time.Time, inExec bool) {
	// EXEC runs its queued commands from inside its own handler, so they
	// need a context of their own.
	ctx := &c.ctx
	if inExec {
		ctx = &Ctx{}
	}
	*ctx = Ctx{E: e, C: c, Cmd: cmd, Args: args, W: c.W, DB: e.db, Now: now.UnixMilli(), inExec: inExec}
	mark := c.W.Len()
	dirtyBefore := e.dirty
	cmd.Handler(ctx)
	e.trackRead(c, cmd, args)
	e.collect(ctx, dirtyBefore)
	dur := time.Since(start)
	cmd.Calls++
	cmd.Usec += dur.Microseconds()
	if b := c.W.Bytes(); mark < len(b) && b[mark] == '-' {
		cmd.Failed++
		e.stats.countError(b[mark+1:])
	}
	e.stats.totalCommands++
	if !cmd.Is(FlagSkipSlowlog) {
		e.slowlog.record(e, c, args, ctx.redacted, dur)
	}
	e.latency.record(e, cmd, dur)
}

// PreBlockOutput returns the replies that preceded a command that blocked
// (see Execute). Only the connection's goroutine calls it, between Execute
// and WaitBlocked.
func (c *Client) PreBlockOutput() []byte { return c.preBlock }

// TakePreBlockMarks returns the commits PreBlockOutput waits for.
func (c *Client) TakePreBlockMarks() []replyMark {
	m := c.preBlockMarks
	c.preBlockMarks = nil
	return m
}

func allowedWhileSubscribed(cmd *Command) bool {
	switch cmd.Name {
	case "subscribe", "psubscribe", "unsubscribe", "punsubscribe", "ssubscribe", "sunsubscribe", "ping", "quit", "reset":
		return true
	}
	return false
}

func isTransactionControl(cmd *Command) bool {
	switch cmd.Name {
	case "exec", "discard", "multi", "watch", "quit", "reset":
		return true
	}
	return false
}

// keyExpired is called for every key removed because its time passed: on
// a primary the removal is an effect like any other (replicas and replays
// never expire keys themselves).
func (e *Engine) keyExpired(key string) {
	e.keyModified(key)
	if e.log != nil && !e.replaying {
		e.fx.args = append(e.fx.args, [][]byte{[]byte("DEL"), []byte(key)})
		e.fx.keys = append(e.fx.keys, key)
	}
	e.notify(keyspaceEvent{class: notifyExpired, event: "expired"}, key)
}

// keyModified is the engine side of Ctx.Modified, also used for keys that
// expire or are flushed.
func (e *Engine) keyModified(key string) {
	if e.tracking != nil {
		e.trackingInvalidate(key)
	}
	// Most of the time nobody watches or waits: skip the lookups.
	if len(e.watchers) > 0 && len(e.watchers[key]) > 0 {
		e.touchWatchers(key)
	}
	if e.topo.out != nil {
		e.migrationTouched(key)
	}
	if len(e.blockedOn) > 0 && len(e.blockedOn[key]) > 0 && !e.readySet[key] {
		e.readySet[key] = true
		e.readyKeys = append(e.readyKeys, key)
	}
}

// Topology returns the cluster topology this node serves.
func (e *Engine) Topology() *cluster.Topology { return e.topo.topology(e.cfg) }

// Table returns the engine's command table.
func (e *Engine) Table() *Table { return e.tab }

// keySlot returns the hash slot of a key argument.
func keySlot(key []byte) int { return keyspace.KeySlot(string(key)) }

// now returns the engine's idea of the current time.
func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// Net returns the network byte counters, which the server updates.
func (e *Engine) Net() *NetStats { return &e.stats.net }

// KeyCount returns the number of keys.
func (e *Engine) KeyCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.db.Len()
}
