package command

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/mnemo-dev/mnemo/engine/resp"
	"github.com/mnemo-dev/mnemo/engine/script"
	lua "github.com/yuin/gopher-lua"
)

// scriptEngine is the engine's scripting state: the EVAL interpreter and
// script cache, the function libraries, and the script running now.
// Guarded by the engine lock, except running.
type scriptEngine struct {
	rnd   *script.Rand
	eval  *script.State
	cache map[string]*cachedScript

	fn   *script.State
	libs map[string]*script.Library
	// funcs maps a function name to its library.
	funcs map[string]*script.Library

	// client runs the commands scripts call.
	client *Client

	// running is the script running now, read without the lock by
	// Execute to answer -BUSY and SCRIPT KILL while a script holds it.
	running atomic.Pointer[scriptRun]
}

func (s *scriptEngine) random() *script.Rand {
	if s.rnd == nil {
		s.rnd = script.NewRand()
	}
	return s.rnd
}

// scriptRun is one EVAL or FCALL in progress.
type scriptRun struct {
	e      *Engine
	caller *Client
	eval   bool
	name   string   // SHA1 or function name
	args   [][]byte // the command that runs it, for FUNCTION STATS
	flags  int
	compat bool
	ro     bool // EVAL_RO/FCALL_RO, or the no-writes flag
	now    time.Time
	start  time.Time

	wrote  atomic.Bool
	killed atomic.Bool
	cancel context.CancelFunc
	done   chan struct{}
}

// prepareScript applies scriptPrepareForRun's checks: a script with a
// shebang (or any function) declares what it may do.
func (e *Engine) prepareScript(c *Ctx, run *scriptRun) bool {
	if !run.compat {
		if run.flags&script.FlagNoCluster != 0 {
			c.Error(errNoClusterFlag)
			return false
		}
		if run.flags&script.FlagNoWrites == 0 && run.ro {
			c.Error(errROWithWriteFlag)
			return false
		}
	}
	if run.flags&script.FlagNoWrites != 0 {
		run.ro = true
	}
	return true
}

// runScript runs fn with the engine lock held (the caller's), so the
// script is atomic; its reply goes to c.W. Commands the script calls log
// their own effects; the script logs nothing of its own.
func (e *Engine) runScript(c *Ctx, st *script.State, run *scriptRun, fn *lua.LFunction, args ...lua.LValue) {
	c.NoEffect()
	run.e, run.caller = e, c.C
	run.now = time.UnixMilli(c.Now)
	run.start = time.Now()
	// The arguments stay valid while the script runs: the connection
	// reads nothing more until Execute returns.
	run.args = c.Args
	run.done = make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	run.cancel = cancel
	e.scripts.running.Store(run)
	defer func() {
		e.scripts.running.Store(nil)
		cancel()
		close(run.done)
	}()
	ret, err := st.Run(ctx, run, fn, run.name, args...)
	if err != nil {
		c.Error(err.Msg)
		return
	}
	st.WriteReply(c.W, ret)
}

// scriptClient returns the client scripts run commands as.
func (e *Engine) scriptClient() *Client {
	if e.scripts.client == nil {
		e.scripts.client = &Client{W: resp.NewWriter(), pushW: resp.NewWriter(), Notify: make(chan struct{}, 1), name: "lua"}
	}
	return e.scripts.client
}

// Call runs a command for redis.call with Redis's checks (scriptCall):
// it exists with the right arity, may run from a script, passes ACL, is
// not a write in a read-only script, and touches keys of one slot.
func (r *scriptRun) Call(args [][]byte, proto int) []byte {
	e := r.e
	cl := e.scriptClient()
	cl.W.Reset()
	cl.W.Proto = proto
	cmd, msg := r.check(args)
	if msg != "" {
		cl.W.Error(msg)
		return cl.W.Bytes()
	}
	e.call(cl, cmd, args, r.now, time.Now(), true)
	return cl.W.Bytes()
}

func (r *scriptRun) check(args [][]byte) (*Command, string) {
	e := r.e
	cmd := e.tab.lookupBytes(args[0])
	if cmd != nil && cmd.Subcommands != nil && len(args) >= 2 {
		cmd = cmd.Subcommands[string(lower(args[1]))]
	}
	if cmd == nil || cmd.Handler == nil && cmd.Subcommands == nil {
		return nil, "ERR Unknown Redis command called from script"
	}
	if !cmd.arityOK(len(args)) || cmd.Handler == nil {
		return nil, "ERR Wrong number of args calling Redis command from script"
	}
	if cmd.Is(FlagNoScript) {
		return nil, "ERR This Redis command is not allowed from script"
	}
	if msg := e.scriptCommandDenied(r.caller, cmd, args); msg != "" {
		return nil, msg
	}
	if cmd.Is(FlagWrite) {
		if r.ro {
			return nil, "ERR Write commands are not allowed from read-only scripts."
		}
		if msg := e.scriptWriteRefusal(); msg != "" {
			return nil, msg
		}
		if msg := e.tooBigForLog(cmd, args); msg != "" {
			return nil, msg
		}
		r.wrote.Store(true)
	}
	if msg := e.checkSlots(cmd, args); msg != "" {
		return nil, "ERR Script attempted to access a non local key in a cluster node"
	}
	return cmd, ""
}

// ACLCheck answers redis.acl_check_cmd.
func (r *scriptRun) ACLCheck(args [][]byte) (allowed, known bool) {
	e := r.e
	cmd := e.tab.lookupBytes(args[0])
	if cmd != nil && cmd.Subcommands != nil && len(args) >= 2 {
		cmd = cmd.Subcommands[string(lower(args[1]))]
	}
	if cmd == nil {
		return false, false
	}
	return e.scriptCommandDenied(r.caller, cmd, args) == "", true
}

// Log writes redis.log lines to the process log at Redis's levels.
func (r *scriptRun) Log(level int, msg string) {
	lv := slog.LevelInfo
	switch level {
	case script.LogDebug, script.LogVerbose:
		lv = slog.LevelDebug
	case script.LogWarning:
		lv = slog.LevelWarn
	}
	slog.Log(context.Background(), lv, msg, "source", "script")
}

// busyScript answers, without the engine lock, a command that arrives
// while a script runs: the script holds the lock, so the command would
// wait for it. Until busy-reply-threshold has passed it does wait; then
// SCRIPT KILL and FUNCTION KILL stop the script, commands flagged
// allow-busy wait on, and any other gets -BUSY, as Redis answers while a
// script is slow. It returns true when it wrote the reply.
func (e *Engine) busyScript(c *Client, args [][]byte) bool {
	run := e.scripts.running.Load()
	if run == nil || run.caller == c || len(args) == 0 {
		return false
	}
	cmd := e.tab.lookupBytes(args[0])
	if cmd == nil {
		return false
	}
	if cmd.Subcommands != nil && len(args) >= 2 {
		if sub := cmd.Subcommands[string(lower(args[1]))]; sub != nil {
			cmd = sub
		}
	}
	kill := cmd.Name == "script|kill" || cmd.Name == "function|kill"
	stats := cmd.Name == "function|stats"
	if cmd.Is(FlagAllowBusy) && !kill && !stats {
		return false
	}
	threshold := time.Duration(e.cfg.Int("busy-reply-threshold")) * time.Millisecond
	if wait := threshold - time.Since(run.start); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-run.done:
			t.Stop()
			return false
		case <-t.C:
		}
	}
	if e.scripts.running.Load() != run {
		return false
	}
	if kill || stats {
		if !cmd.arityOK(len(args)) {
			return false
		}
		if kill {
			e.killRun(c.W, run, cmd.Name == "script|kill")
		} else {
			// The libraries cannot change while the script holds the
			// lock; loading running ordered this read after their writes.
			writeFunctionStats(c.W, run, len(e.scripts.libs), len(e.scripts.funcs))
		}
		return true
	}
	if run.eval {
		c.W.Error(errBusyEval)
	} else {
		c.W.Error(errBusyFunction)
	}
	return true
}

// scriptKill is SCRIPT KILL and FUNCTION KILL run with the lock held:
// then no script is running.
func (e *Engine) scriptKill(w *resp.Writer, eval bool) {
	e.killRun(w, e.scripts.running.Load(), eval)
}

func (e *Engine) killRun(w *resp.Writer, run *scriptRun, eval bool) {
	switch {
	case run == nil:
		w.Error(errScriptNotBusy)
	case run.wrote.Load():
		w.Error(errScriptUnkillable)
	case eval && !run.eval:
		w.Error(errBusyFunction)
	case !eval && run.eval:
		w.Error(errBusyEval)
	default:
		run.killed.Store(true)
		run.cancel()
		w.OK()
	}
}
