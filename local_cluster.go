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
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/mnemo-dev/mnemo/engine/cluster"
	"github.com/mnemo-dev/mnemo/engine/command"
	"github.com/mnemo-dev/mnemo/engine/config"
	"github.com/mnemo-dev/mnemo/engine/server"
	"github.com/mnemo-dev/mnemo/engine/txlog"
)

// localLeaseTTL is the lease TTL of `mnemo local --shards`: the default
// of mnemo node.
const localLeaseTTL = 2 * time.Second

func slicesContains(args []string, vs ...string) bool {
	for _, v := range vs {
		if slices.Contains(args, v) {
			return true
		}
	}
	return false
}

// enableCluster opens the control bucket, creates the slot map of a new
// cluster of n shards unless one exists, and makes the engine route by it.
func enableCluster(ctx context.Context, e *command.Engine, nc *nats.Conn, shard, replicas, n int, ro *command.ReplOptions, log *slog.Logger) error {
	store, err := cluster.OpenStore(ctx, nc, replicas)
	if err != nil {
		return err
	}
	if _, _, err := store.Bootstrap(ctx, n); err != nil {
		return fmt.Errorf("cannot read or create the slot map: %w", err)
	}
	e.EnableCluster(command.ClusterOptions{
		Store: store, Shard: shard, NodeID: ro.NodeID, Addr: ro.Addr, LeaseTTL: ro.LeaseTTL,
		Log: log.With("shard", shard),
	})
	return nil
}

// runLocalCluster is `mnemo local --shards N --replicas R`: N×(1+R) nodes
// in this process on ports port, port+1, … (shard i's nodes next to each
// other, its first one starting as primary), each with its own data
// directory under dir, all durable on one embedded log.
func runLocalCluster(vals map[string]string, rest []string, stdout, stderr io.Writer) int {
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "mnemo local: %s\n", fmt.Sprintf(format, a...))
		return 1
	}
	shards, err := strconv.Atoi(vals["shards"])
	if err == nil && shards == 0 {
		shards = 1 // --replicas alone: one shard with its replicas
	}
	if err != nil || shards < 1 || shards > 500 {
		fmt.Fprintln(stderr, "mnemo local: --shards must be 1 to 500")
		return 2
	}
	replicas, err := strconv.Atoi(vals["replicas"])
	if err != nil || replicas < 0 || replicas > 5 {
		fmt.Fprintln(stderr, "mnemo local: --replicas must be 0 to 5")
		return 2
	}
	if vals["in-memory"] == "yes" {
		fmt.Fprintln(stderr, "mnemo local: --shards needs the log (--in-memory no)")
		return 2
	}
	base := config.New()
	if err := base.ParseArgs(rest); err != nil {
		fmt.Fprintf(stderr, "mnemo local: %v\n", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	runtime.GOMAXPROCS(int(base.Int("io-threads")))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	dir := base.String("dir")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fail("cannot create dir: %v", err)
	}
	var token [16]byte
	rand.Read(token[:])
	ls, err := txlog.StartServer(txlog.ServerConfig{Name: "local", Dir: filepath.Join(dir, "mnemo-log"), SyncAlways: true,
		Log: log, Listen: "127.0.0.1:-1", Token: hex.EncodeToString(token[:])})
	if err != nil {
		return fail("cannot start the log: %v", err)
	}
	defer ls.Shutdown()

	port := int(base.Int("port"))
	per := 1 + replicas
	var servers []*server.Server
	errc := make(chan error, shards*per)
	for i := 0; i < shards*per; i++ {
		shard := i / per
		cfg := config.New()
		cfg.ParseArgs(rest)
		ndir := filepath.Join(dir, "node-"+strconv.Itoa(i))
		if err := cfg.SetStartup("port", strconv.Itoa(port+i)); err != nil {
			return fail("%v", err)
		}
		if err := cfg.SetStartup("dir", ndir); err != nil {
			return fail("%v", err)
		}
		if err := os.MkdirAll(ndir, 0o755); err != nil {
			return fail("cannot create dir: %v", err)
		}
		nlog := log.With("node", i, "shard", shard)
		// Each node has a context of its own, so that DEBUG KILL-NODE can
		// stop its election (and so its lease) with its listener.
		nctx, ncancel := context.WithCancel(ctx)
		defer ncancel()
		e, ln, err := startLocalNode(nctx, ls, cfg, shard, shards, i%per == 0, nlog)
		if err != nil {
			return fail("node %d: %v", i, err)
		}
		defer e.Stop()
		srv := server.New(e, nlog)
		servers = append(servers, srv)
		e.SetNodeKill(func() {
			nlog.Warn("Node killed by DEBUG KILL-NODE: it stays down until mnemo local restarts")
			ncancel()
			srv.Close()
		})
		go func() {
			err := srv.Serve(ln)
			if nctx.Err() != nil && ctx.Err() == nil {
				return // killed on request: the others serve on
			}
			errc <- err
		}()
	}
	log.Info("Ready to accept connections", "role", "local", "shards", shards, "replicas", replicas,
		"ports", strconv.Itoa(port)+"-"+strconv.Itoa(port+shards*per-1),
		"connect", "redis-cli -c -h "+base.String("bind")+" -p "+strconv.Itoa(port))
	code := 0
	select {
	case <-ctx.Done():
		log.Info("Shutting down")
	case err := <-errc:
		if err != nil && !errors.Is(err, net.ErrClosed) {
			code = fail("%v", err)
		}
	}
	for _, s := range servers {
		s.Close()
	}
	return code
}

// startLocalNode starts one node of a local cluster: listener, engine
// (with the aclfile, if one is given), and its shard's log joined as a
// lease candidate of the cluster. The first node of each shard waits
// until it is primary, so the cluster is whole when the command says it
// is ready.
func startLocalNode(ctx context.Context, ls *txlog.Server, cfg *config.Config, shard, shards int, first bool, log *slog.Logger) (*command.Engine, net.Listener, error) {
	addr := net.JoinHostPort(cfg.String("bind"), strconv.FormatInt(cfg.Int("port"), 10))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot listen: %w", err)
	}
	fail := func(err error) (*command.Engine, net.Listener, error) {
		ln.Close()
		return nil, nil, err
	}
	e := command.New(cfg)
	if err := e.LoadACL(); err != nil {
		return fail(fmt.Errorf("cannot load the aclfile: %w", err))
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		e.WatchACL(ctx, hup, log)
		signal.Stop(hup)
	}()
	nodeID, err := cluster.LoadOrCreateNodeID(cfg.String("dir"))
	if err != nil {
		log.Warn("Node ID is not persisted: it changes when the node restarts", "error", err)
	}
	e.SetNodeID(nodeID)
	nc, err := ls.DialLoopback("mnemo-local-" + strconv.Itoa(int(cfg.Int("port"))))
	if err != nil {
		return fail(fmt.Errorf("cannot connect to the log: %w", err))
	}
	join := logJoin{shard: shard, replicas: 1, clusterShards: shards,
		repl: &command.ReplOptions{
			NodeID: nodeID, Candidate: true, LeaseTTL: localLeaseTTL,
			Addr: net.JoinHostPort(command.AnnounceIP(cfg.String("bind")), strconv.FormatInt(cfg.Int("port"), 10)),
		},
		opts: command.LogOptions{
			MaxInflight:   int(cfg.Int("log-max-inflight")),
			CommitTimeout: time.Duration(cfg.Int("log-commit-timeout")) * time.Millisecond,
			Log:           log,
		},
	}
	if err := joinLog(ctx, e, nc, join, log); err != nil {
		nc.Close()
		return fail(err)
	}
	e.Start()
	if first {
		// A fresh shard elects its primary within about a lease TTL.
		for deadline := time.Now().Add(4 * localLeaseTTL); !e.IsPrimary() && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
		}
	}
	return e, ln, nil
}
