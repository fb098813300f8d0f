package command

import (
	"strings"
	"testing"
	"time"

	"github.com/mnemo-dev/mnemo/engine/config"
)

// TestReplicaHidesExpiredKeys checks that on a keyspace in replica mode
// a key whose time passed reads as missing through every read path, yet
// stays until the primary's DEL arrives, and is never counted as expired
// by the replica.
func TestReplicaHidesExpiredKeys(t *testing.T) {
	e := New(config.New())
	clock := time.UnixMilli(1_000_000)
	e.Now = func() time.Time { return clock }
	c := e.NewClient("test", "test", func() {})
	if got := run(e, c, "SET", "k", "v", "PX", "100"); got != "+OK\r\n" {
		t.Fatalf("SET: %q", got)
	}
	e.db.SetReplica(true)
	clock = clock.Add(time.Second)
	for _, tc := range []struct{ args, want string }{
		{"GET k", "$-1\r\n"},
		{"EXISTS k", ":0\r\n"},
		{"TTL k", ":-2\r\n"},
		{"TYPE k", "+none\r\n"},
		{"KEYS *", "*0\r\n"},
		{"SCAN 0", "*2\r\n$1\r\n0\r\n*0\r\n"},
		{"RANDOMKEY", "$-1\r\n"},
		// Kept: DBSIZE counts it, as on a Redis replica.
		{"DBSIZE", ":1\r\n"},
	} {
		if got := run(e, c, strings.Fields(tc.args)...); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.args, got, tc.want)
		}
	}
	e.mu.Lock()
	e.activeExpire()
	e.mu.Unlock()
	if e.db.Peek("k") == nil || e.db.Expired != 0 {
		t.Fatalf("the replica removed the key itself (expired_keys %d)", e.db.Expired)
	}
	// The primary's DEL, as it arrives from the log.
	e.mu.Lock()
	e.replaying = true
	e.applyEffect(newReplayClient(), [][]byte{[]byte("DEL"), []byte("k")})
	e.replaying = false
	e.mu.Unlock()
	if got := run(e, c, "DBSIZE"); got != ":0\r\n" {
		t.Errorf("DBSIZE after the primary's DEL: %q", got)
	}
	// Promoted: keys expire as on any primary.
	run(e, c, "SET", "j", "v", "PX", "100")
	clock = clock.Add(time.Second)
	e.db.SetReplica(false)
	if got := run(e, c, "GET", "j"); got != "$-1\r\n" || e.db.Len() != 0 || e.db.Expired != 1 {
		t.Errorf("primary: GET %q, %d keys, expired_keys %d; want the key gone", got, e.db.Len(), e.db.Expired)
	}
}
