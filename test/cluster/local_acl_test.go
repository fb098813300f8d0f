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

	"github.com/mnemo-dev/mnemo/controllers/specs"
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

// TestMigrationAuthenticates checks that slots move in a cluster whose
// default user is off: the source authenticates its connections to the
// target with the credentials given to CLUSTER MIGRATESLOTS (AUTH2, as
// MIGRATE takes them), a move without them fails on the target's NOAUTH
// and moves nothing, and the password never reaches the slow log.
func TestMigrationAuthenticates(t *testing.T) {
	dir := t.TempDir()
	acl := filepath.Join(dir, "users.acl")
	// The operator moves slots as its own user, whose access names no key.
	users := "user default off\nuser app on >secret ~* &* +@all\nuser " + specs.OperatorUser + " >oppw " + specs.OperatorAccess + "\n"
	if err := os.WriteFile(acl, []byte(users), 0o600); err != nil {
		t.Fatal(err)
	}
	port := harness.ConsecutivePorts(t, 2)
	p := startProc(t, dir, "local", "local", "--shards", "2", "--replicas", "0",
		"--port", strconv.Itoa(port), "--dir", filepath.Join(dir, "data"), "--aclfile", acl)
	for deadline := time.Now().Add(time.Minute); !strings.Contains(p.Output(), "Ready to accept connections"); time.Sleep(50 * time.Millisecond) {
		if p.Exited() || time.Now().After(deadline) {
			t.Fatalf("mnemo local --shards did not become ready")
		}
	}
	ctx := context.Background()
	src := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port), Username: "app", Password: "secret", MaxRetries: -1})
	defer src.Close()
	dst := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port+1), Username: "app", Password: "secret", MaxRetries: -1})
	defer dst.Close()
	// A key in a slot of shard 0 (the first half of the slots).
	key := ""
	slot := int64(-1)
	for i := 0; slot < 0 || slot >= 8192; i++ {
		key = fmt.Sprintf("moved:%d", i)
		var err error
		if slot, err = src.ClusterKeySlot(ctx, key).Result(); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		err := src.Set(ctx, key, "v", 0).Err()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("SET %s on shard 0: %v", key, err)
		}
	}

	state := func() (string, string) {
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			res, err := src.Do(ctx, "CLUSTER", "GETSLOTMIGRATIONS").Slice()
			if err != nil {
				t.Fatal(err)
			}
			if len(res) == 0 {
				continue
			}
			last := res[len(res)-1].(map[any]any)
			if st := last["state"].(string); st == "done" || st == "failed" || st == "cancelled" {
				return st, fmt.Sprint(last["error"])
			}
		}
		t.Fatal("the migration did not end within a minute")
		return "", ""
	}
	move := []any{"CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", slot, slot, "SHARD", 1}

	if err := src.Do(ctx, move...).Err(); err != nil {
		t.Fatalf("MIGRATESLOTS without credentials: %v", err)
	}
	if st, why := state(); st != "failed" || !strings.Contains(why, "NOAUTH") {
		t.Fatalf("a move without credentials ended %s (%s), want failed on the target's NOAUTH", st, why)
	}
	if v, err := src.Get(ctx, key).Result(); err != nil || v != "v" {
		t.Fatalf("after the refused move, GET %s on the source: %q, %v", key, v, err)
	}

	if err := src.Do(ctx, "CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", slot, slot, "SHARD", 1, "AUTH2", "app", "wrong").Err(); err != nil {
		t.Fatal(err)
	}
	if st, why := state(); st != "failed" || !strings.Contains(why, "WRONGPASS") {
		t.Fatalf("a move with a wrong password ended %s (%s), want failed on WRONGPASS", st, why)
	}

	if err := src.Do(ctx, "CONFIG", "SET", "slowlog-log-slower-than", "0").Err(); err != nil {
		t.Fatal(err)
	}
	if err := src.Do(ctx, append(move, "AUTH2", specs.OperatorUser, "oppw")...).Err(); err != nil {
		t.Fatalf("MIGRATESLOTS with AUTH2: %v", err)
	}
	if st, why := state(); st != "done" {
		t.Fatalf("a move with credentials ended %s (%s), want done", st, why)
	}
	if v, err := dst.Get(ctx, key).Result(); err != nil || v != "v" {
		t.Fatalf("after the move, GET %s on the target: %q, %v", key, v, err)
	}
	if err := src.Get(ctx, key).Err(); err == nil || !strings.HasPrefix(err.Error(), "MOVED") {
		t.Fatalf("after the move, GET %s on the source: %v, want MOVED", key, err)
	}
	entries, err := src.Do(ctx, "SLOWLOG", "GET", "-1").Slice()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range entries {
		text := fmt.Sprint(e)
		if strings.Contains(text, "oppw") {
			t.Fatalf("the slow log shows the migration's password: %s", text)
		}
		found = found || strings.Contains(text, "MIGRATESLOTS")
	}
	if !found {
		t.Fatalf("the slow log has no MIGRATESLOTS entry to check: %v", entries)
	}

	if err := src.Do(ctx, "CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", 0, 0, "SHARD", 1, "AUTH2", "app").Err(); err == nil || !strings.Contains(err.Error(), "syntax error") {
		t.Fatalf("AUTH2 without a password: %v, want a syntax error", err)
	}
}
