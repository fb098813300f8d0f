package server

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/mnemo-dev/mnemo/engine/config"
)

// TLSFiles are the PEM files TLS is served with, re-read whenever one of
// them changes, so rotated certificates (cert-manager renewing a Secret)
// take effect for new connections without a restart; connections already
// up keep the certificate they were made with.
type TLSFiles struct {
	Cert, Key, CA string
	// ClientAuth is tls-auth-clients: "yes", "no" or "optional".
	ClientAuth string

	mu      sync.Mutex
	stamps  [3]fileVersion // of Cert, Key, CA; guarded by mu
	current *tls.Config    // guarded by mu
}

// fileVersion tells versions of a file apart without reading it.
type fileVersion struct {
	mod  time.Time
	size int64
}

// TLSFilesFromConfig returns the TLS files of the tls-* parameters, or nil
// when tls-port is 0. It loads them once, so a wrong path or key stops
// the start.
func TLSFilesFromConfig(cfg *config.Config) (*TLSFiles, error) {
	if cfg.Int("tls-port") == 0 {
		return nil, nil
	}
	f := &TLSFiles{Cert: cfg.String("tls-cert-file"), Key: cfg.String("tls-key-file"),
		CA: cfg.String("tls-ca-cert-file"), ClientAuth: cfg.String("tls-auth-clients")}
	if f.Cert == "" || f.Key == "" {
		return nil, errors.New("tls-port needs tls-cert-file and tls-key-file")
	}
	if f.CA == "" && f.ClientAuth != "no" {
		return nil, errors.New("tls-auth-clients " + f.ClientAuth + " needs tls-ca-cert-file (or set tls-auth-clients no)")
	}
	if _, err := f.config(); err != nil {
		return nil, err
	}
	return f, nil
}

// ServerConfig returns the tls.Config to serve with: TLS 1.2 or later, Go's
// default cipher suites (all AEAD with forward secrecy for TLS 1.2), and
// the files' current contents for each new connection.
func (f *TLSFiles) ServerConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			return f.config()
		},
	}
}

// config returns the configuration for the files as they are now,
// reloading them when one changed. When a reload fails (a file caught
// half written) the previous configuration stays in use.
func (f *TLSFiles) config() (*tls.Config, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var now [3]fileVersion
	for i, name := range []string{f.Cert, f.Key, f.CA} {
		if name == "" {
			continue
		}
		fi, err := os.Stat(name)
		if err != nil {
			if f.current != nil {
				return f.current, nil
			}
			return nil, fmt.Errorf("cannot read TLS file: %w", err)
		}
		now[i] = fileVersion{fi.ModTime(), fi.Size()}
	}
	if f.current != nil && now == f.stamps {
		return f.current, nil
	}
	c, err := f.load()
	if err != nil {
		if f.current != nil {
			return f.current, nil
		}
		return nil, err
	}
	f.current, f.stamps = c, now
	return c, nil
}

func (f *TLSFiles) load() (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(f.Cert, f.Key)
	if err != nil {
		return nil, fmt.Errorf("cannot load the TLS certificate: %w", err)
	}
	c := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	if f.CA != "" {
		pem, err := os.ReadFile(f.CA)
		if err != nil {
			return nil, fmt.Errorf("cannot read the TLS CA certificates: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("no certificate found in %s", f.CA)
		}
		c.ClientCAs = pool
	}
	switch f.ClientAuth {
	case "yes":
		c.ClientAuth = tls.RequireAndVerifyClientCert
	case "optional":
		c.ClientAuth = tls.VerifyClientCertIfGiven
	default:
		c.ClientAuth = tls.NoClientCert
	}
	return c, nil
}

// ListenTLS listens on addr and serves TLS on the connections accepted,
// with TCP keepalive set on the connection underneath (the server sets it
// only on plain TCP connections).
func ListenTLS(addr string, tc *tls.Config, keepAlive time.Duration) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return tls.NewListener(keepAliveListener{ln, keepAlive}, tc), nil
}

type keepAliveListener struct {
	net.Listener
	period time.Duration
}

func (l keepAliveListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil && l.period > 0 {
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetKeepAlive(true)
			tc.SetKeepAlivePeriod(l.period)
		}
	}
	return c, err
}
