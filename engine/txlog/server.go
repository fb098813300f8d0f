package txlog

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
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
	// Token, if set, is required of every client (an embedded log that
	// listens on loopback admits only its own node).
	Token string
	// Log receives the server's warnings and errors; nil discards them.
	Log *slog.Logger
}

// Server is an embedded NATS server with JetStream: the log.
type Server struct {
	ns    *server.Server
	token string
}

// StartServer starts an embedded log server and waits until it is ready.
func StartServer(cfg ServerConfig) (*Server, error) {
	opts := &server.Options{
		ServerName:    cfg.Name,
		JetStream:     true,
		StoreDir:      cfg.Dir,
		SyncAlways:    cfg.SyncAlways,
		NoSigs:        true,
		Authorization: cfg.Token,
		// An append carries a batch; MaxBatchBytes bounds it.
		MaxPayload: MaxBatchBytes + 64<<10,
		MaxPending: 4 * MaxBatchBytes,
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
	logger := &natsLogger{log: cfg.Log}
	ns.SetLogger(logger, false, false)
	ns.Start()
	for deadline := time.Now().Add(60 * time.Second); !ns.ReadyForConnections(100 * time.Millisecond); {
		if err := logger.fatal(); err != nil {
			ns.Shutdown()
			return nil, fmt.Errorf("log server %s did not start: %w", cfg.Name, err)
		}
		if time.Now().After(deadline) {
			ns.Shutdown()
			return nil, fmt.Errorf("log server %s not ready after 60s", cfg.Name)
		}
	}
	return &Server{ns: ns, token: cfg.Token}, nil
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

// Connect opens a client connection to this server, in-process when it
// does not listen.
func (s *Server) Connect(name string) (*nats.Conn, error) {
	return nats.Connect("", nats.Name(name), nats.InProcessServer(s.ns), nats.MaxReconnects(-1))
}

// DialLoopback connects to this server over its (loopback) listener with
// its token. Measured on 2 cores, a loopback TCP connection carries
// appends faster than the in-process one, whose synchronous pipe forces a
// goroutine hand-off on every write.
func (s *Server) DialLoopback(name string) (*nats.Conn, error) {
	return nats.Connect(s.ClientURL(), nats.Name(name), nats.Token(s.token), nats.MaxReconnects(-1),
		nats.ReconnectWait(50*time.Millisecond))
}

// Dial connects to a log server (or cluster) by URL(s), waiting up to
// wait for a first connection (log servers may start at the same time as
// the node), then reconnecting for ever: the committer decides when an
// outage fails writes.
func Dial(urls, name string, wait time.Duration) (*nats.Conn, error) {
	nc, err := nats.Connect(urls, nats.Name(name), nats.MaxReconnects(-1),
		nats.ReconnectWait(250*time.Millisecond), nats.RetryOnFailedConnect(true))
	if err != nil {
		return nil, fmt.Errorf("cannot connect to the log at %s: %w", urls, err)
	}
	// Requests made before the first connection is up are never
	// answered; wait for it.
	for deadline := time.Now().Add(wait); !nc.IsConnected(); {
		if time.Now().After(deadline) {
			nc.Close()
			return nil, fmt.Errorf("cannot connect to the log at %s within %s", urls, wait)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nc, nil
}

// natsLogger passes the embedded server's warnings and errors to slog and
// remembers a fatal error, which the server reports only through its log.
type natsLogger struct {
	log *slog.Logger
	mu  sync.Mutex
	err error // guarded by mu
}

func (l *natsLogger) fatal() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

func (l *natsLogger) Noticef(string, ...any) {}
func (l *natsLogger) Debugf(string, ...any)  {}
func (l *natsLogger) Tracef(string, ...any)  {}

func (l *natsLogger) Warnf(format string, v ...any) {
	if l.log != nil {
		l.log.Warn("Log server: " + fmt.Sprintf(format, v...))
	}
}

func (l *natsLogger) Errorf(format string, v ...any) {
	if l.log != nil {
		l.log.Error("Log server: " + fmt.Sprintf(format, v...))
	}
}

func (l *natsLogger) Fatalf(format string, v ...any) {
	l.mu.Lock()
	if l.err == nil {
		l.err = fmt.Errorf(format, v...)
	}
	l.mu.Unlock()
	l.Errorf(format, v...)
}
