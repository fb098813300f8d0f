//go:build linux

package observability

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mnemo-dev/mnemo/test/internal/harness"
)

// TestSlotMigrationMetrics moves half the slots of a two-shard cluster
// of real `mnemo log` and `mnemo node` processes and checks the source's
// migration families: one migration done, every key of the moved slots
// sent and then dropped, nothing running afterwards.
func TestSlotMigrationMetrics(t *testing.T) {
	dir := t.TempDir()
	ports := harness.Ports(t, 4)
	logAddr := "127.0.0.1:" + strconv.Itoa(ports[0])
	lp := harness.StartProc(t, dir, "log", "log", "--name", "log0", "--dir", filepath.Join(dir, "log0"), "--listen", logAddr)
	harness.WaitPort(t, lp, logAddr, time.Minute)
	var addrs []string
	var nodes []*harness.Proc
	for i := range 2 {
		addr := "127.0.0.1:" + strconv.Itoa(ports[1+i])
		args := []string{"node", "--log", "nats://" + logAddr, "--log-replicas", "1", "--role", "auto",
			"--shard", strconv.Itoa(i), "--cluster-shards", "1", "--lease-ttl", "1000",
			"--port", strconv.Itoa(ports[1+i]), "--dir", filepath.Join(dir, "node"+strconv.Itoa(i))}
		if i == 0 {
			args = append(args, "--metrics-addr", "127.0.0.1:"+strconv.Itoa(ports[3]))
		}
		nodes = append(nodes, harness.StartProc(t, dir, "node"+strconv.Itoa(i), args...))
		addrs = append(addrs, addr)
	}
	for i, p := range nodes {
		harness.WaitReady(t, p, addrs[i], time.Minute)
	}
	ctx := context.Background()
	src := redis.NewClient(&redis.Options{Addr: addrs[0], MaxRetries: -1})
	defer src.Close()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		if role, err := src.Do(ctx, "ROLE").Slice(); err == nil && role[0] == "master" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("shard 0 has no primary after a minute")
		}
	}
	url := "http://127.0.0.1:" + strconv.Itoa(ports[3]) + "/metrics"
	before := scrapeMetrics(t, url)
	if got := before.value(t, "mnemo_slot_migration_running"); got != 0 {
		t.Errorf("mnemo_slot_migration_running = %v before any migration", got)
	}

	// Keys in both halves of the slot space; the lower half moves.
	moved := 0
	for i := range 400 {
		key := "key:" + strconv.Itoa(i)
		if err := src.Set(ctx, key, i, 0).Err(); err != nil {
			t.Fatal(err)
		}
		if src.ClusterKeySlot(ctx, key).Val() <= 8191 {
			moved++
		}
	}
	if err := src.Do(ctx, "CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", 0, 8191, "SHARD", 1).Err(); err != nil {
		t.Fatalf("CLUSTER MIGRATESLOTS: %v", err)
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		res, err := src.Do(ctx, "CLUSTER", "GETSLOTMIGRATIONS").Slice()
		if err == nil && len(res) == 1 {
			if m, ok := res[0].(map[any]any); ok && m["state"] == "done" {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the migration did not finish in a minute: %v %v", res, err)
		}
	}
	after := scrapeMetrics(t, url)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"mnemo_slot_migration_running", nil, 0},
		{"mnemo_slot_migration_keys_planned", nil, 0},
		{"mnemo_slot_migrations_total", []string{"result", "done"}, 1},
		{"mnemo_slot_migrations_total", []string{"result", "failed"}, 0},
		{"mnemo_slot_migration_keys_dropped_total", nil, float64(moved)},
	} {
		if got := after.value(t, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	// Keys written during the move would be sent again; none were.
	if got := after.value(t, "mnemo_slot_migration_keys_sent_total"); got != float64(moved) {
		t.Errorf("mnemo_slot_migration_keys_sent_total = %v, want the %d keys of the moved slots", got, moved)
	}
	if got := after.value(t, "mnemo_slot_migration_bytes_sent_total"); got <= 0 {
		t.Errorf("mnemo_slot_migration_bytes_sent_total = %v", got)
	}
}
