package compat

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// testCA is a throwaway certificate authority.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "mnemo test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert, key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue returns a PEM certificate and key signed by the CA, for a server
// on 127.0.0.1 or a client.
func (ca *testCA) issue(t *testing.T, serial int64, name string, client bool) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
	}
	if client {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		tmpl.IPAddresses = nil
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

func writeFile(t *testing.T, name string, data []byte) {
	t.Helper()
	// Write beside and rename, as a Secret update does, so the server
	// never reads half a file.
	if err := os.WriteFile(name+".new", data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(name+".new", name); err != nil {
		t.Fatal(err)
	}
}

// tlsServer is a Mnemo serving plain and TLS ports.
type tlsServer struct {
	plain, tls string
	dir        string
	ca         *testCA
	clientCert tls.Certificate
	files      [5]string // ca, cert, key, client cert, client key
}

func startTLSMnemo(t *testing.T, authClients string) *tlsServer {
	t.Helper()
	dir := t.TempDir()
	s := &tlsServer{dir: dir, ca: newTestCA(t)}
	for i, n := range []string{"ca.crt", "server.crt", "server.key", "client.crt", "client.key"} {
		s.files[i] = filepath.Join(dir, n)
	}
	cert, key := s.ca.issue(t, 100, "server-1", false)
	ccert, ckey := s.ca.issue(t, 200, "client", true)
	writeFile(t, s.files[0], s.ca.pem)
	writeFile(t, s.files[1], cert)
	writeFile(t, s.files[2], key)
	writeFile(t, s.files[3], ccert)
	writeFile(t, s.files[4], ckey)
	var err error
	if s.clientCert, err = tls.X509KeyPair(ccert, ckey); err != nil {
		t.Fatal(err)
	}
	pport, _ := freePort()
	tport, _ := freePort()
	s.plain = startProcess(t, mnemoBin, "local", "--in-memory", "yes", "--dir", filepath.Join(dir, "data"),
		"--tls-port", strconv.Itoa(tport), "--tls-cert-file", s.files[1], "--tls-key-file", s.files[2],
		"--tls-ca-cert-file", s.files[0], "--tls-auth-clients", authClients, "--port", strconv.Itoa(pport))
	s.tls = "127.0.0.1:" + strconv.Itoa(tport)
	return s
}

func (s *tlsServer) clientConfig(withCert bool) *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(s.ca.cert)
	c := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
	if withCert {
		c.Certificates = []tls.Certificate{s.clientCert}
	}
	return c
}

// TestTLSGoRedis uses go-redis over TLS with a client certificate, next
// to the plain port, and checks that clients without a certificate or
// with TLS older than 1.2 are refused.
func TestTLSGoRedis(t *testing.T) {
	s := startTLSMnemo(t, "yes")
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		c := redis.NewClient(&redis.Options{Addr: s.tls, Protocol: proto, TLSConfig: s.clientConfig(true), DialTimeout: 5 * time.Second})
		if err := c.Set(ctx, "k", "v"+strconv.Itoa(proto), 0).Err(); err != nil {
			t.Fatalf("RESP%d SET over TLS: %v", proto, err)
		}
		c.Close()
	}
	plain := redis.NewClient(&redis.Options{Addr: s.plain})
	defer plain.Close()
	if v, err := plain.Get(ctx, "k").Result(); err != nil || v != "v3" {
		t.Fatalf("GET on the plain port = %q, %v; want the value set over TLS", v, err)
	}

	noCert := redis.NewClient(&redis.Options{Addr: s.tls, TLSConfig: s.clientConfig(false), MaxRetries: -1})
	defer noCert.Close()
	if err := noCert.Ping(ctx).Err(); err == nil {
		t.Fatal("PING without a client certificate succeeded; tls-auth-clients yes must refuse it")
	}
	old := s.clientConfig(true)
	old.MaxVersion = tls.VersionTLS11
	if conn, err := tls.Dial("tcp", s.tls, old); err == nil {
		conn.Close()
		t.Fatal("a TLS 1.1 handshake succeeded")
	}
}

// TestTLSOptionalClientCert: with tls-auth-clients optional a client
// without a certificate is served.
func TestTLSOptionalClientCert(t *testing.T) {
	s := startTLSMnemo(t, "optional")
	c := redis.NewClient(&redis.Options{Addr: s.tls, TLSConfig: s.clientConfig(false)})
	defer c.Close()
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("PING without a client certificate: %v", err)
	}
}

// TestTLSRedisCLI runs redis-cli --tls against the TLS port.
func TestTLSRedisCLI(t *testing.T) {
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Skip("redis-cli not installed")
	}
	s := startTLSMnemo(t, "yes")
	_, port, _ := net.SplitHostPort(s.tls)
	run := func(args ...string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		out, _ := exec.CommandContext(ctx, "redis-cli", append([]string{"-h", "127.0.0.1", "-p", port, "--tls",
			"--cacert", s.files[0], "--cert", s.files[3], "--key", s.files[4]}, args...)...).CombinedOutput()
		return strings.TrimSpace(string(out))
	}
	if out := run("SET", "cli", "hello"); out != "OK" {
		t.Fatalf("redis-cli --tls SET: %q", out)
	}
	if out := run("GET", "cli"); out != "hello" {
		t.Fatalf("redis-cli --tls GET: %q", out)
	}
	if out := run("-3", "HELLO"); !strings.Contains(out, "proto") {
		t.Fatalf("redis-cli --tls -3 HELLO: %q", out)
	}
}

// TestTLSRotation replaces the certificate files: new connections get the
// new certificate, a connection made before keeps working.
func TestTLSRotation(t *testing.T) {
	s := startTLSMnemo(t, "yes")
	ctx := context.Background()
	dialSerial := func() (*tls.Conn, int64) {
		conn, err := tls.Dial("tcp", s.tls, s.clientConfig(true))
		if err != nil {
			t.Fatal(err)
		}
		return conn, conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
	}
	oldConn, serial := dialSerial()
	defer oldConn.Close()
	if serial != 100 {
		t.Fatalf("first certificate serial %d, want 100", serial)
	}
	old := redis.NewClient(&redis.Options{Addr: s.tls, TLSConfig: s.clientConfig(true), PoolSize: 1})
	defer old.Close()
	if err := old.Set(ctx, "r", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}

	cert, key := s.ca.issue(t, 101, "server-2", false)
	writeFile(t, s.files[2], key)
	writeFile(t, s.files[1], cert)

	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, serial := dialSerial()
		conn.Close()
		if serial == 101 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("new connections still get serial %d after the files changed", serial)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if v, err := old.Get(ctx, "r").Result(); err != nil || v != "1" {
		t.Fatalf("connection made before the rotation: GET = %q, %v", v, err)
	}
	if _, err := oldConn.Write([]byte("PING\r\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	oldConn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := oldConn.Read(buf); err != nil || string(buf[:n]) != "+PONG\r\n" {
		t.Fatalf("raw connection from before the rotation: %q, %v", buf[:n], err)
	}
}
