package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/mnemo-dev/mnemo/engine/command"
	"github.com/mnemo-dev/mnemo/engine/config"
	"github.com/mnemo-dev/mnemo/engine/server"
)

func runLocal(args []string, stdout, stderr io.Writer) int {
	return serveEngine("local", "Runs the embedded default: a Redis-compatible endpoint on 127.0.0.1 in the\nforeground until SIGINT or SIGTERM.", args, stdout, stderr)
}

func runNode(args []string, stdout, stderr io.Writer) int {
	return serveEngine("node", "Runs one data node: the Redis-compatible engine, in the foreground until\nSIGINT or SIGTERM.", args, stdout, stderr)
}

// engineUsage explains the parameters: the same names and syntax as
// redis-server's.
func engineUsage(w io.Writer, name, what string) {
	fmt.Fprintf(w, "Usage: mnemo %s [config-file] [--name value ...]\n\n%s\n\n", name, what)
	fmt.Fprintln(w, "Parameters are given the way redis-server takes them: a redis.conf-style file")
	fmt.Fprintln(w, "as the first argument or with --config FILE, then --name value pairs, which")
	fmt.Fprintln(w, "win over the file. Memory values take units (100mb, 1gb).")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Flags:")
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

func serveEngine(name, what string, args []string, stdout, stderr io.Writer) int {
	for _, a := range args {
		if a == "--help" || a == "-h" {
			engineUsage(stdout, name, what)
			return 0
		}
	}
	cfg := config.New()
	if err := cfg.ParseArgs(args); err != nil {
		fmt.Fprintf(stderr, "mnemo %s: %v\n", name, err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	runtime.GOMAXPROCS(int(cfg.Int("io-threads")))

	addr := net.JoinHostPort(cfg.String("bind"), strconv.FormatInt(cfg.Int("port"), 10))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintf(stderr, "mnemo %s: cannot listen: %v\n", name, err)
		return 1
	}
	e := command.New(cfg)
	e.Start()
	defer e.Stop()
	srv := server.New(e, log)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("Ready to accept connections", "role", name, "addr", ln.Addr().String(),
		"connect", "redis-cli -h "+cfg.String("bind")+" -p "+strconv.FormatInt(cfg.Int("port"), 10))

	select {
	case <-ctx.Done():
		log.Info("Shutting down")
		srv.Close()
		return 0
	case err := <-errc:
		if err != nil && !errors.Is(err, net.ErrClosed) {
			fmt.Fprintf(stderr, "mnemo %s: %v\n", name, err)
			return 1
		}
		return 0
	}
}
