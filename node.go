package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/mnemo-dev/mnemo/engine/cluster"
	"github.com/mnemo-dev/mnemo/engine/command"
	"github.com/mnemo-dev/mnemo/engine/config"
	"github.com/mnemo-dev/mnemo/engine/server"
	"github.com/mnemo-dev/mnemo/engine/txlog"
)

// roleFlag is a flag of a role itself, as opposed to an engine parameter.
type roleFlag struct {
	name, arg, help, def string
}

var localFlags = []roleFlag{
	{"in-memory", "yes|no", "run without the transactional log: writes are acknowledged at once and lost when the process ends, as with redis-server's persistence off (for caches and benchmarks)", "no"},
	{"shards", "N", "run a cluster of N shards in this process, nodes on ports port, port+1, … sharing the embedded log (0: one node, not a cluster)", "0"},
	{"replicas", "R", "replicas per shard (each shard is 1+R nodes with lease election; without --shards, one shard)", "0"},
	metricsFlag,
}

var nodeFlags = []roleFlag{
	{"log", "URLS", "the transactional log: nats://host:port of the log servers, comma-separated (required)", ""},
	{"shard", "N", "the shard this node serves", "0"},
	{"log-replicas", "R", "replicas of the shard's log stream when the node creates it", "3"},
	{"role", "auto|solo", "auto: one of the shard's nodes, a replica until it wins the lease as primary; solo: the shard's only writer, no election", "solo"},
	{"lease-ttl", "MS", "how long the primary's lease lasts unrenewed (role auto)", "2000"},
	{"cluster-shards", "N", "make the node one of a multi-shard cluster (role auto); if the cluster has no slot map yet, create one spreading the slots over shards 0…N-1 (0: not a cluster)", "0"},
	metricsFlag,
	{"announce-hostname", "NAME", "the hostname this node announces to clients and other nodes (CLUSTER SLOTS/SHARDS/NODES, MOVED, failover), as Redis's cluster-announce-hostname with cluster-preferred-endpoint-type hostname; on Kubernetes the pod's stable DNS name. It also fixes the node's ID (a hash of the name), so a pod replaced under its name rejoins as the same node", ""},
	{"announce-ip", "IP", "the address this node announces when it has no --announce-hostname, as Redis's cluster-announce-ip (default: the first bind address, 127.0.0.1 for a wildcard)", ""},
}

func runLocal(args []string, stdout, stderr io.Writer) int {
	if vals, rest, err := splitRoleFlags(localFlags, args); err == nil && (vals["shards"] != "0" || vals["replicas"] != "0") && !slicesContains(args, "--help", "-h") {
		return runLocalCluster(vals, rest, stdout, stderr)
	}
	return serveEngine("local", "Runs the embedded default: a Redis-compatible endpoint on 127.0.0.1 with its\n"+
		"own transactional log (NATS JetStream, one replica, fsync on every append) kept\n"+
		"in DIR/mnemo-log, in the foreground until SIGINT or SIGTERM. Every write is\n"+
		"acknowledged only after the log has committed it.", localFlags, args, stdout, stderr)
}

func runNode(args []string, stdout, stderr io.Writer) int {
	return serveEngine("node", "Runs one data node: the Redis-compatible engine, durable on a shard's stream in\n"+
		"an external transactional log, in the foreground until SIGINT or SIGTERM.", nodeFlags, args, stdout, stderr)
}

// splitRoleFlags takes the role's own --flags (with their values) out of
// args and returns them and the engine parameters left.
func splitRoleFlags(flags []roleFlag, args []string) (map[string]string, []string, error) {
	vals := map[string]string{}
	for _, f := range flags {
		if f.def != "" {
			vals[f.name] = f.def
		}
	}
	var rest []string
	for i := 0; i < len(args); i++ {
		name, isFlag := strings.CutPrefix(args[i], "--")
		var found *roleFlag
		if isFlag {
			n, _, _ := strings.Cut(name, "=")
			for j := range flags {
				if flags[j].name == n {
					found = &flags[j]
				}
			}
		}
		if found == nil {
			rest = append(rest, args[i])
			continue
		}
		if _, v, ok := strings.Cut(name, "="); ok {
			vals[found.name] = v
			continue
		}
		if i+1 >= len(args) {
			return nil, nil, fmt.Errorf("--%s needs a value", found.name)
		}
		vals[found.name] = args[i+1]
		i++
	}
	return vals, rest, nil
}

// engineUsage explains the flags: the role's own, then the engine
// parameters, with redis-server's names and syntax.
func engineUsage(w io.Writer, name, what string, flags []roleFlag) {
	fmt.Fprintf(w, "Usage: mnemo %s [config-file] [--name value ...]\n\n%s\n\n", name, what)
	if len(flags) > 0 {
		fmt.Fprintln(w, "Flags:")
		for _, f := range flags {
			def := ""
			if f.def != "" {
				def = " (default " + f.def + ")"
			}
			fmt.Fprintf(w, "  --%-28s %s%s\n", f.name+" "+f.arg, f.help, def)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "Engine parameters are given the way redis-server takes them: a redis.conf-style")
	fmt.Fprintln(w, "file as the first argument or with --config FILE, then --name value pairs,")
	fmt.Fprintln(w, "which win over the file. Memory values take units (100mb, 1gb).")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Engine parameters:")
	fmt.Fprintf(w, "  --%-28s %s\n", "config FILE", "read parameters from a redis.conf-style file")
	names := config.Names()
	sort.Strings(names)
	for _, n := range names {
		p := config.Lookup(n)
		def := p.Default
		if def == "" {
			def = `""`
		}
		fmt.Fprintf(w, "  --%-28s %s (default %s)\n", n+" "+kindName(p), p.Help, def)
	}
}

func kindName(p *config.Param) string {
	switch p.Kind {
	case config.Int:
		return "N"
	case config.Memory:
		return "BYTES"
	case config.Bool:
		return "yes|no"
	case config.Enum:
		return strings.Join(p.Enum, "|")
	}
	return "STRING"
}

func serveEngine(name, what string, flags []roleFlag, args []string, stdout, stderr io.Writer) int {
	for _, a := range args {
		if a == "--help" || a == "-h" {
			engineUsage(stdout, name, what, flags)
			return 0
		}
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "mnemo %s: %s\n", name, fmt.Sprintf(format, a...))
		return 1
	}
	vals, rest, err := splitRoleFlags(flags, args)
	if err != nil {
		fmt.Fprintf(stderr, "mnemo %s: %v\n", name, err)
		return 2
	}
	cfg := config.New()
	if err := cfg.ParseArgs(rest); err != nil {
		fmt.Fprintf(stderr, "mnemo %s: %v\n", name, err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	runtime.GOMAXPROCS(int(cfg.Int("io-threads")))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	// The node's files (its ID, and for local the log) live in dir.
	if err := os.MkdirAll(cfg.String("dir"), 0o755); err != nil {
		return fail("cannot create dir: %v", err)
	}
	// Read the TLS files now, to fail before the log work if they are bad.
	tlsFiles, err := server.TLSFilesFromConfig(cfg)
	if err != nil {
		return fail("%v", err)
	}
	if cfg.Int("port") == 0 && tlsFiles == nil {
		return fail("nothing to listen on: --port 0 needs a --tls-port")
	}
	inMemory := vals["in-memory"] == "yes"
	if v := vals["in-memory"]; v != "" && v != "yes" && v != "no" {
		fmt.Fprintf(stderr, "mnemo %s: --in-memory takes yes or no\n", name)
		return 2
	}
	e := command.New(cfg)
	if err := e.LoadACL(); err != nil {
		return fail("cannot load the aclfile: %v", err)
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go e.WatchACL(ctx, hup, log)
	// The node's ID names it in the cluster; it must survive restarts.
	// A node announced by a stable hostname (a StatefulSet pod, which
	// keeps no files) takes its ID from the name; others keep theirs in
	// the data directory.
	var nodeID string
	if h := vals["announce-hostname"]; h != "" {
		nodeID = cluster.HostnameNodeID(h)
	} else if nodeID, err = cluster.LoadOrCreateNodeID(cfg.String("dir")); err != nil {
		log.Warn("Node ID is not persisted: it changes when the node restarts", "error", err)
	}
	e.SetNodeID(nodeID)
	log.Info("Node", "id", nodeID, "dir", cfg.String("dir"))
	if !inMemory {
		closeLog, code := attachLog(ctx, name, vals, cfg, e, nodeID, log, stderr)
		if code != 0 {
			return code
		}
		// Runs after the engine has stopped (defers run in reverse).
		defer closeLog()
	} else {
		log.Warn("Running in memory: writes are not durable and are lost when the process ends")
	}
	if err := startMetrics(ctx, name, vals, e, nodeID, log); err != nil {
		return fail("%v", err)
	}
	// Listen only now that the state is rebuilt: a TCP readiness probe (the
	// operator's, for now) must not pass while the node cannot serve yet.
	// Plain and TLS ports side by side, as redis-server has them; --port 0
	// leaves TLS only.
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	if port := cfg.Int("port"); port != 0 {
		ln, err := net.Listen("tcp", net.JoinHostPort(cfg.String("bind"), strconv.FormatInt(port, 10)))
		if err != nil {
			return fail("cannot listen: %v", err)
		}
		lns = append(lns, ln)
	}
	if tlsFiles != nil {
		addr := net.JoinHostPort(cfg.String("bind"), strconv.FormatInt(cfg.Int("tls-port"), 10))
		ln, err := server.ListenTLS(addr, tlsFiles.ServerConfig(), time.Duration(cfg.Int("tcp-keepalive"))*time.Second)
		if err != nil {
			return fail("cannot listen for TLS: %v", err)
		}
		lns = append(lns, ln)
	}
	e.Start()
	defer e.Stop()
	errc := make(chan error, len(lns))
	var srvs []*server.Server
	for _, ln := range lns {
		srv := server.New(e, log)
		srvs = append(srvs, srv)
		go func() { errc <- srv.Serve(ln) }()
		log.Info("Ready to accept connections", "role", name, "addr", ln.Addr().String())
	}

	select {
	case <-ctx.Done():
		log.Info("Shutting down")
		for _, srv := range srvs {
			srv.Close()
		}
		return 0
	case err := <-errc:
		if err != nil && !errors.Is(err, net.ErrClosed) {
			return fail("%v", err)
		}
		return 0
	}
}

// attachLog connects the engine to its transactional log (embedded for
// local, external for a node) and rebuilds its state from it. It returns
// a function that closes the log connection (and the embedded server),
// and a process exit code, 0 on success.
func attachLog(ctx context.Context, name string, vals map[string]string, cfg *config.Config, e *command.Engine, nodeID string, log *slog.Logger, stderr io.Writer) (func(), int) {
	var closers []func()
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	fail := func(format string, a ...any) (func(), int) {
		closeAll()
		fmt.Fprintf(stderr, "mnemo %s: %s\n", name, fmt.Sprintf(format, a...))
		return nil, 1
	}
	usage := func(msg string) (func(), int) {
		closeAll()
		fmt.Fprintf(stderr, "mnemo %s: %s\n", name, msg)
		return nil, 2
	}
	var nc *nats.Conn
	var err error
	shard, replicas := 0, 1
	if name == "local" {
		dir := filepath.Join(cfg.String("dir"), "mnemo-log")
		// The embedded log listens on a random loopback port (faster than
		// an in-process connection), admitting only this node's token.
		var token [16]byte
		rand.Read(token[:])
		ls, err := txlog.StartServer(txlog.ServerConfig{Name: "local", Dir: dir, SyncAlways: true, Log: log,
			Listen: "127.0.0.1:-1", Token: hex.EncodeToString(token[:])})
		if err != nil {
			return fail("cannot start the log: %v", err)
		}
		closers = append(closers, ls.Shutdown)
		if nc, err = ls.DialLoopback("mnemo-local"); err != nil {
			return fail("cannot connect to the log: %v", err)
		}
	} else {
		if vals["log"] == "" {
			return usage("--log is required: a data node is durable on a log (see mnemo log)")
		}
		if shard, err = strconv.Atoi(vals["shard"]); err != nil || shard < 0 {
			return usage("--shard must be a shard number")
		}
		if replicas, err = strconv.Atoi(vals["log-replicas"]); err != nil || replicas < 1 || replicas > 5 {
			return usage("--log-replicas must be 1 to 5")
		}
		if nc, err = txlog.Dial(vals["log"], "mnemo-node", time.Minute); err != nil {
			return fail("%v", err)
		}
	}
	closers = append(closers, nc.Close)
	join := logJoin{shard: shard, replicas: replicas, opts: command.LogOptions{
		MaxInflight:   int(cfg.Int("log-max-inflight")),
		CommitTimeout: time.Duration(cfg.Int("log-commit-timeout")) * time.Millisecond,
		Log:           log,
	}}
	if role := vals["role"]; role == "auto" {
		ttl, err := strconv.Atoi(vals["lease-ttl"])
		if err != nil || ttl < 100 {
			return usage("--lease-ttl must be a number of milliseconds, at least 100")
		}
		if nodeID == "" {
			return fail("a node with --role auto needs a node ID that survives restarts (see --dir)")
		}
		join.repl = &command.ReplOptions{
			NodeID: nodeID, Candidate: true,
			Addr:     announceAddr(vals, cfg),
			LeaseTTL: time.Duration(ttl) * time.Millisecond,
		}
	} else if role != "solo" && role != "" {
		return usage("--role takes auto or solo")
	}
	if v := vals["cluster-shards"]; v != "" {
		if join.clusterShards, err = strconv.Atoi(v); err != nil || join.clusterShards < 0 || join.clusterShards > cluster.NumSlots {
			return usage("--cluster-shards must be a number of shards")
		}
	}
	if join.clusterShards > 0 && join.repl == nil {
		return usage("--cluster-shards needs --role auto")
	}
	join.snapshots = func(st *txlog.Stream) (command.SnapshotSource, error) {
		return setupSnapshots(ctx, name, vals, cfg, e, st, nc, shard, replicas, log)
	}
	started := time.Now()
	if err := joinLog(ctx, e, nc, join, log); err != nil {
		return fail("%v", err)
	}
	log.Info("Rebuilt state from the log", "shard", shard, "keys", e.KeyCount(), "took", time.Since(started).Round(time.Millisecond))
	return closeAll, 0
}

// logJoin is how a data node joins its shard's log.
type logJoin struct {
	shard, replicas int
	// repl makes the node a lease candidate (--role auto); joinLog fills
	// in its control bucket. nil: the shard's only writer.
	repl *command.ReplOptions
	// clusterShards makes the node one of a multi-shard cluster; when the
	// cluster has no slot map yet, the first node creates one over shards
	// 0…clusterShards-1. 0: not a cluster.
	clusterShards int
	opts          command.LogOptions
	// snapshots, when set, sets up the node's snapshots on the opened
	// stream (restore, start from snapshot, BGSAVE).
	snapshots func(st *txlog.Stream) (command.SnapshotSource, error)
}

// joinLog opens the shard's stream (and, for a lease candidate, the
// control bucket), makes the engine one of the cluster, rebuilds its
// state from the log (from the newest snapshot on) and starts it serving
// or following; for a cluster node it returns once the slot map is read,
// since before it every key is CLUSTERDOWN. mnemo node, mnemo local and
// each node of mnemo local --shards join this way.
func joinLog(ctx context.Context, e *command.Engine, nc *nats.Conn, j logJoin, log *slog.Logger) error {
	// A log cluster still electing its meta leader answers slowly: each
	// step has a minute.
	step := func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, time.Minute) }
	sctx, cancel := step()
	st, err := txlog.OpenStream(sctx, nc, j.shard, j.replicas)
	cancel()
	if err != nil {
		return err
	}
	opts := j.opts
	if j.repl != nil {
		cctx, cancel := step()
		j.repl.Control, err = txlog.OpenControl(cctx, st, j.shard, j.replicas)
		cancel()
		if err != nil {
			return err
		}
		opts.Replication = j.repl
	}
	if j.clusterShards > 0 {
		cctx, cancel := step()
		err := enableCluster(cctx, e, nc, j.shard, j.replicas, j.clusterShards, j.repl, log)
		cancel()
		if err != nil {
			return err
		}
	}
	if j.snapshots != nil {
		if opts.Snapshots, err = j.snapshots(st); err != nil {
			return err
		}
	}
	if err := e.AttachLog(ctx, st, opts); err != nil {
		return err
	}
	if j.clusterShards > 0 {
		e.StartCluster(ctx)
		wctx, cancel := step()
		defer cancel()
		if err := e.WaitClusterTopology(wctx); err != nil {
			return fmt.Errorf("cannot read the slot map: %w", err)
		}
	}
	return nil
}

// announceAddr is the host:port the node announces (see
// engine/command/cluster_announce.go): --announce-hostname, else
// --announce-ip, else the bind address; the plaintext port, or the TLS
// port when that is the only one.
func announceAddr(vals map[string]string, cfg *config.Config) string {
	host := command.AnnounceIP(cfg.String("bind"))
	if v := vals["announce-ip"]; v != "" {
		host = v
	}
	if v := vals["announce-hostname"]; v != "" {
		host = v
	}
	port := cfg.Int("port")
	if port == 0 {
		port = cfg.Int("tls-port")
	}
	return net.JoinHostPort(host, strconv.FormatInt(port, 10))
}
