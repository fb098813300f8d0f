package main

import (
	"context"
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
	Took       time.Duration `json:"tookNs"`
	Error      string        `json:"error,omitempty"`
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
	settle := fs.Duration("settle", 2*time.Minute, "how long to wait for the endpoint to answer again before the read-back")
	user := fs.String("user", "", "ACL user (AUTH)")
	password := fs.String("password", os.Getenv("MNEMO_PASSWORD"), "ACL password (default $MNEMO_PASSWORD)")
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
	var c redis.UniversalClient
	if *useCluster {
		c = redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{*addr}, Username: *user, Password: *password, MaxRetries: 3})
	} else {
		c = redis.NewClient(&redis.Options{Addr: *addr, Username: *user, Password: *password, MaxRetries: 3})
	}
	defer c.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	r := check(ctx, c, *prefix, *keys, *duration, *settle, stderr)
	_ = json.NewEncoder(stdout).Encode(r)
	if r.Error != "" || r.Lost > 0 || r.Acked == 0 {
		return 1
	}
	return 0
}

func check(ctx context.Context, c redis.UniversalClient, prefix string, keys int, duration, settle time.Duration, progress io.Writer) checkReport {
	var r checkReport
	start := time.Now()
	deadline := start.Add(duration)
	var acked []int
	last := start
	lastReport := start
	for i := 0; ; i++ {
		if duration == 0 && i >= keys || duration > 0 && time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		opCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := c.Set(opCtx, prefix+":"+strconv.Itoa(i), strconv.Itoa(i), 0).Err()
		cancel()
		now := time.Now()
		if err != nil {
			r.Failed++
			time.Sleep(50 * time.Millisecond) // a refused write comes back at once
			continue
		}
		acked = append(acked, i)
		r.LongestGap = max(r.LongestGap, now.Sub(last))
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
