package txlog

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// ServerConfig configures an embedded log server.
type ServerConfig struct {
	// Name identifies the server in its cluster; stable across restarts.
	Name string
	// Dir holds JetStream's files.
	Dir string
	// Listen is the client address (host:port). Empty means in-process
	// connections only (mnemo local).
	Listen string
	// ClusterName, ClusterListen and Routes form a cluster of log servers
	// over routes; Routes lists every member's route URL (this one's may
	// be included). Empty ClusterListen means a single server.
	ClusterName   string
	ClusterListen string
	Routes        []string
	// SyncAlways makes JetStream fsync every append before acknowledging
	// it. A single server needs it for durability; a cluster acknowledges
	// once a quorum holds an entry.
	SyncAlways bool
}

// Server is an embedded NATS server with JetStream: the log.
type Server struct {
	ns *server.Server
}

// StartServer starts an embedded log server and waits until it is ready.
func StartServer(cfg ServerConfig) (*Server, error) {
	opts := &server.Options{
		ServerName: cfg.Name,
		JetStream:  true,
		StoreDir:   cfg.Dir,
		SyncAlways: cfg.SyncAlways,
		NoSigs:     true,
		NoLog:      true,
		// Appends carry batches; allow large ones.
		MaxPayload: 8 << 20,
	}
	if cfg.Listen == "" {
		opts.DontListen = true
	} else {
		host, port, err := splitHostPort(cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("bad listen address %q: %w", cfg.Listen, err)
		}
		opts.Host, opts.Port = host, port
	}
	if cfg.ClusterListen != "" {
		host, port, err := splitHostPort(cfg.ClusterListen)
		if err != nil {
			return nil, fmt.Errorf("bad cluster listen address %q: %w", cfg.ClusterListen, err)
		}
		opts.Cluster = server.ClusterOpts{Name: cfg.ClusterName, Host: host, Port: port}
		for _, r := range cfg.Routes {
			u, err := url.Parse(r)
			if err != nil {
				return nil, fmt.Errorf("bad route %q: %w", r, err)
			}
			opts.Routes = append(opts.Routes, u)
		}
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("cannot create log server: %w", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		return nil, fmt.Errorf("log server %s not ready after 30s", cfg.Name)
	}
	return &Server{ns: ns}, nil
}

// ClientURL returns the URL clients connect to (empty for in-process only).
func (s *Server) ClientURL() string {
	if s.ns.Addr() == nil {
		return ""
	}
	return s.ns.ClientURL()
}

// Shutdown stops the server.
func (s *Server) Shutdown() {
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
}

func splitHostPort(hp string) (string, int, error) {
	host, ps, err := net.SplitHostPort(hp)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(ps)
	if err != nil {
		return "", 0, err
	}
	return host, port, nil
}
