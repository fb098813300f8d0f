//go:build linux

package cluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mnemo-dev/mnemo/test/internal/harness"
)

// TestLocalClusterACL checks that every node of `mnemo local --shards
// --replicas` enforces the aclfile, as a single `mnemo local` does: a
// client without credentials is refused, the file's user writes through
// the cluster to every shard, and a reload (SIGHUP) reaches every node.
func TestLocalClusterACL(t *testing.T) {
	const shards, replicas = 2, 1
	n := shards * (1 + replicas)
	dir := t.TempDir()
	acl := filepath.Join(dir, "users.acl")
	write := func(s string) {
		if err := os.WriteFile(acl, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("user default off\nuser app on >secret ~* &* +@all\n")
	port := harness.ConsecutivePorts(t, n)
	p := startProc(t, dir, "local", "local", "--shards", strconv.Itoa(shards), "--replicas", strconv.Itoa(replicas),
		"--port", strconv.Itoa(port), "--dir", filepath.Join(dir, "data"), "--aclfile", acl)
	var addrs []string
	for i := range n {
		addrs = append(addrs, "127.0.0.1:"+strconv.Itoa(port+i))
	}
	for deadline := time.Now().Add(time.Minute); !strings.Contains(p.Output(), "Ready to accept connections"); time.Sleep(50 * time.Millisecond) {
		if p.Exited() || time.Now().After(deadline) {
			t.Fatalf("mnemo local --shards did not become ready")
		}
	}
	ctx := context.Background()
	for _, a := range addrs {
		if !p.Owns(a) {
			t.Fatalf("%s is not served by the local cluster", a)
		}
		anon := redis.NewClient(&redis.Options{Addr: a, MaxRetries: -1})
		err := anon.Get(ctx, "k").Err()
		anon.Close()
		if err == nil || !strings.HasPrefix(err.Error(), "NOAUTH") {
			t.Fatalf("%s: GET without credentials: %v, want NOAUTH", a, err)
		}
	}
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs[:1], Username: "app", Password: "secret"})
	defer cc.Close()
	for i := range 100 {
		if err := cc.Set(ctx, fmt.Sprintf("key:%d", i), i, 0).Err(); err != nil {
			t.Fatalf("SET as app through the cluster: %v", err)
		}
	}
	for sh := range shards {
		c := redis.NewClient(&redis.Options{Addr: addrs[sh*(1+replicas)], Username: "app", Password: "secret", MaxRetries: -1})
		size, err := c.DBSize(ctx).Result()
		c.Close()
		if err != nil || size == 0 {
			t.Fatalf("shard %d's primary holds %d keys (%v): the writes did not spread", sh, size, err)
		}
	}

	// A reload reaches every node: the new password works everywhere,
	// the old one nowhere.
	write("user default off\nuser app on >rotated ~* &* +@all\n")
	p.Signal(syscall.SIGHUP)
	for _, a := range addrs {
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			c := redis.NewClient(&redis.Options{Addr: a, Username: "app", Password: "rotated", MaxRetries: -1})
			err := c.Ping(ctx).Err()
			c.Close()
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the rotated password does not work 30 s after SIGHUP: %v", a, err)
			}
		}
		old := redis.NewClient(&redis.Options{Addr: a, Username: "app", Password: "secret", MaxRetries: -1})
		err := old.Ping(ctx).Err()
		old.Close()
		if err == nil || !strings.HasPrefix(err.Error(), "WRONGPASS") {
			t.Fatalf("%s: the old password after the reload: %v, want WRONGPASS", a, err)
		}
	}
}
