package keyspace

import "testing"

// TestExpiryByMode checks lazy and active expiry in both modes: a primary
// removes a key whose time passed (and counts it), a replica only hides it
// until the primary's DEL arrives.
func TestExpiryByMode(t *testing.T) {
	const at, before, after = 1000, 999, 1000
	for _, tc := range []struct {
		name    string
		replica bool
		// what should remain after each step
		wantLen     int
		wantExpired int64
		wantEvents  int
	}{
		{name: "primary", replica: false, wantLen: 0, wantExpired: 1, wantEvents: 1},
		{name: "replica", replica: true, wantLen: 1, wantExpired: 0, wantEvents: 0},
	} {
		for _, how := range []string{"lookup", "sample", "random"} {
			t.Run(tc.name+"/"+how, func(t *testing.T) {
				db := New()
				db.SetReplica(tc.replica)
				events := 0
				db.OnExpire = func(string) { events++ }
				e := db.Set("k", NewString([]byte("v")))
				db.SetExpire("k", e, at)
				if got := db.Lookup("k", before); got == nil {
					t.Fatalf("Lookup before expiry: missing")
				}
				switch how {
				case "lookup":
					if got := db.Lookup("k", after); got != nil {
						t.Fatalf("Lookup after expiry: got %v, want nil", got)
					}
				case "sample":
					db.ExpireSample(20, after)
				case "random":
					if k, ok := db.RandomKey(after); ok {
						t.Fatalf("RandomKey after expiry: got %q", k)
					}
				}
				if db.Len() != tc.wantLen || db.VolatileLen() != tc.wantLen {
					t.Errorf("Len %d, VolatileLen %d, want %d", db.Len(), db.VolatileLen(), tc.wantLen)
				}
				if db.Expired != tc.wantExpired || events != tc.wantEvents {
					t.Errorf("Expired %d, OnExpire calls %d, want %d and %d", db.Expired, events, tc.wantExpired, tc.wantEvents)
				}
				// Hidden, never gone: the entry is still there for the
				// primary's DEL (or for a promotion, which removes it
				// lazily as a primary).
				if tc.replica {
					if db.Peek("k") == nil {
						t.Fatal("the replica removed the key itself")
					}
					if got := db.Lookup("k", after); got != nil {
						t.Fatal("a second read shows the expired key")
					}
					if !db.Delete("k") || db.Len() != 0 || db.VolatileLen() != 0 {
						t.Fatal("the primary's DEL did not remove the key")
					}
				}
			})
		}
	}
}

// TestReplicaModeOff checks that leaving replica mode (a promotion) makes
// the keys that expired meanwhile go as they would on a primary.
func TestReplicaModeOff(t *testing.T) {
	db := New()
	db.SetReplica(true)
	e := db.Set("k", NewString([]byte("v")))
	db.SetExpire("k", e, 10)
	if db.Lookup("k", 20) != nil || db.Len() != 1 {
		t.Fatal("replica: the key should be hidden and kept")
	}
	db.SetReplica(false)
	if db.Lookup("k", 20) != nil || db.Len() != 0 || db.Expired != 1 {
		t.Fatalf("primary: Len %d, Expired %d; want the key removed", db.Len(), db.Expired)
	}
	// A clock that reads zero (a replay) sees every key.
	e = db.Set("j", NewString([]byte("v")))
	db.SetExpire("j", e, 10)
	if db.Lookup("j", 0) == nil {
		t.Fatal("a replay's lookup must not expire keys")
	}
}
