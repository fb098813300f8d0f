package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// checkReport is what mnemo check prints last, one JSON line, for people
// and for the e2e suite.
type checkReport struct {
	// Acked is how many writes the database acknowledged; Failed how many
	// it refused or did not answer (the client retried them, then gave up).
	Acked  int `json:"acked"`
	Failed int `json:"failed"`
	// Lost is how many acknowledged writes a read after the run did not
	// find with their value. Anything but 0 is a durability bug.
	Lost int `json:"lost"`
	// LongestGap is the longest time between two acknowledged writes: what
	// a client saw of a failover or a restart.
	LongestGap time.Duration `json:"longestGapNs"`
	// LongestGapEnd is when the write that ended the longest gap was
	// acknowledged (Unix ms): with the time a fault was injected, it
	// gives fault → first acknowledged write.
	LongestGapEnd int64         `json:"longestGapEndMs"`
	Took          time.Duration `json:"tookNs"`
	// FirstError is the first error a write got, to tell a refusal
	// (NOAUTH, a TLS handshake failure) from an outage.
	FirstError string `json:"firstError,omitempty"`
	Error      string `json:"error,omitempty"`
}

// runCheck is mnemo check: a small Redis client that writes keys through
// an endpoint, for as long as asked, and reads every acknowledged one back.
// It is the in-cluster client of the e2e suite and a quick smoke test for
// people ("does my Cluster take writes?").
func runCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mnemo check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:6379", "the endpoint, host:port (a Cluster's Service: <name>.<namespace>.svc:6379)")
	useCluster := fs.Bool("cluster", false, "use a Redis Cluster client (follows CLUSTER SLOTS and MOVED)")
	keys := fs.Int("keys", 100, "keys to write when --duration is 0")
	duration := fs.Duration("duration", 0, "write for this long instead of --keys (a load for fault tests)")
	prefix := fs.String("prefix", "check", "key prefix; use a new one per run")
	stopKey := fs.String("stop-key", "", "with --duration: stop writing early once this key exists (a test sets it when the change it loads is done)")
	settle := fs.Duration("settle", 2*time.Minute, "how long to wait for the endpoint to answer again before the read-back")
	user := fs.String("user", "", "ACL user (AUTH)")
	password := fs.String("password", os.Getenv("MNEMO_PASSWORD"), "ACL password (default $MNEMO_PASSWORD)")
	useTLS := fs.Bool("tls", false, "connect with TLS, verifying each node's certificate for the name it is dialled by")
	caFile := fs.String("tls-ca-file", "", "PEM CA certificates to verify the nodes with (default: the system's)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: mnemo check [flags]\n\nWrites keys through an endpoint, then reads every acknowledged write back and\nprints a JSON report. Exits 1 when an acknowledged write is lost or nothing\nwas acknowledged.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	var tlsConfig *tls.Config
	if *useTLS {
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		if *caFile != "" {
			pem, err := os.ReadFile(*caFile)
			if err != nil {
				fmt.Fprintf(stderr, "mnemo check: %v\n", err)
				return 2
			}
			tlsConfig.RootCAs = x509.NewCertPool()
			if !tlsConfig.RootCAs.AppendCertsFromPEM(pem) {
				fmt.Fprintf(stderr, "mnemo check: no certificate in %s\n", *caFile)
				return 2
			}
		}
	}
	var c redis.UniversalClient
	if *useCluster {
		c = redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{*addr}, Username: *user, Password: *password,
			MaxRetries: 3, TLSConfig: tlsConfig,
			// go-redis reloads the slot map on MOVED and READONLY, and
			// otherwise every minute: a primary that crashed answers
			// neither, so without this the client would keep dialling
			// it long after its replica took over.
			ClusterStateReloadInterval: time.Second})
	} else {
		c = redis.NewClient(&redis.Options{Addr: *addr, Username: *user, Password: *password, MaxRetries: 3, TLSConfig: tlsConfig})
	}
	defer c.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	r := check(ctx, c, *prefix, *keys, *duration, *settle, *stopKey, stderr)
	_ = json.NewEncoder(stdout).Encode(r)
	if r.Error != "" || r.Lost > 0 || r.Acked == 0 {
		return 1
	}
	return 0
}

func check(ctx context.Context, c redis.UniversalClient, prefix string, keys int, duration, settle time.Duration, stopKey string, progress io.Writer) checkReport {
	var r checkReport
	start := time.Now()
	deadline := start.Add(duration)
	var acked []int
	last := start
	lastReport := start
	lastStopCheck := start
	for i := 0; ; i++ {
		if duration == 0 && i >= keys || duration > 0 && time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		// The stop key is looked for a few times a second, not before
		// every write: the load stays writes. An error reading it is not
		// a stop.
		if stopKey != "" && time.Since(lastStopCheck) >= 250*time.Millisecond {
			lastStopCheck = time.Now()
			opCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
			n, err := c.Exists(opCtx, stopKey).Result()
			cancel()
			if err == nil && n > 0 {
				break
			}
		}
		opCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := c.Set(opCtx, prefix+":"+strconv.Itoa(i), strconv.Itoa(i), 0).Err()
		cancel()
		now := time.Now()
		if err != nil {
			if r.FirstError == "" {
				r.FirstError = err.Error()
			}
			r.Failed++
			time.Sleep(50 * time.Millisecond) // a refused write comes back at once
			continue
		}
		acked = append(acked, i)
		if gap := now.Sub(last); gap > r.LongestGap {
			r.LongestGap, r.LongestGapEnd = gap, now.UnixMilli()
		}
		last = now
		if now.Sub(lastReport) >= 5*time.Second {
			fmt.Fprintf(progress, "check: %d acknowledged, %d failed\n", len(acked), r.Failed)
			lastReport = now
		}
	}
	r.Acked = len(acked)

	// The read-back: wait until the endpoint answers, then every
	// acknowledged key must hold its value.
	ready := time.Now().Add(settle)
	for c.Ping(ctx).Err() != nil {
		if time.Now().After(ready) || ctx.Err() != nil {
			r.Error = "the endpoint did not answer after the run"
			r.Took = time.Since(start)
			return r
		}
		time.Sleep(250 * time.Millisecond)
	}
	for _, i := range acked {
		var v string
		var err error
		for try := 0; try < 20; try++ { // a node may still be rebuilding
			v, err = c.Get(ctx, prefix+":"+strconv.Itoa(i)).Result()
			if err == nil || errors.Is(err, redis.Nil) || ctx.Err() != nil {
				break
			}
			time.Sleep(250 * time.Millisecond)
		}
		if err != nil && !errors.Is(err, redis.Nil) {
			r.Error = fmt.Sprintf("cannot read back %s:%d: %v", prefix, i, err)
			break
		}
		if v != strconv.Itoa(i) {
			r.Lost++
		}
	}
	r.Took = time.Since(start)
	return r
}
