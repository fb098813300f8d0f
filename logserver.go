package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/mnemo-dev/mnemo/engine/txlog"
)

// runLog runs one transactional-log server: NATS JetStream embedded,
// clustered with its peers over routes, so three of them form one log
// whose streams are replicated three times.
func runLog(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mnemo log", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("name", "", "this server's name in the log cluster, stable across restarts (required)")
	dir := fs.String("dir", "", "directory for the log's files, kept across restarts (required)")
	listen := fs.String("listen", "127.0.0.1:4222", "client address: data nodes connect here")
	clusterListen := fs.String("cluster-listen", "", "route address for the other log servers (empty: a single server)")
	clusterName := fs.String("cluster-name", "mnemo-log", "name of the log cluster")
	routes := fs.String("routes", "", "route URLs of every log server, comma-separated (nats://host:6222,...)")
	syncAlways := fs.Bool("sync-always", false, "fsync every append before acknowledging it (a single server needs it; a cluster acknowledges once a quorum holds an entry)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: mnemo log --name NAME --dir DIR [flags]\n\nRuns a transactional-log server (NATS JetStream) in the foreground until\nSIGINT or SIGTERM. Three servers given each other's --routes form one log.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
		fs.SetOutput(stdout)
		fs.Usage()
		return 0
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *name == "" || *dir == "" {
		fmt.Fprintln(stderr, "mnemo log: --name and --dir are required")
		return 2
	}
	var routeList []string
	if *routes != "" {
		routeList = strings.Split(*routes, ",")
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	srv, err := txlog.StartServer(txlog.ServerConfig{
		Name: *name, Dir: *dir, Listen: *listen,
		ClusterName: *clusterName, ClusterListen: *clusterListen, Routes: routeList,
		SyncAlways: *syncAlways || *clusterListen == "",
		Log:        log,
	})
	if err != nil {
		fmt.Fprintf(stderr, "mnemo log: %v\n", err)
		return 1
	}
	log.Info("Log server ready", "name", *name, "clients", srv.ClientURL(), "routes", *clusterListen)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	log.Info("Shutting down")
	srv.Shutdown()
	return 0
}
