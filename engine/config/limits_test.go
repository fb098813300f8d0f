package config

import "testing"

func TestLimitsParameters(t *testing.T) {
	for _, tc := range []struct {
		name, value, want, err string
	}{
		{"notify-keyspace-events", "KEA", "AKE", ""},
		{"notify-keyspace-events", "Kg$lshzxetmdn", "AKm", ""},
		{"notify-keyspace-events", "tmdnE", "tdnEm", ""},
		{"notify-keyspace-events", "AA", "A", ""},
		{"notify-keyspace-events", "Z", "", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."},
		{"client-output-buffer-limit", "pubsub 64mb 16mb 30", "normal 0 0 0 slave 268435456 67108864 60 pubsub 67108864 16777216 30", ""},
		{"client-output-buffer-limit", "normal 1 2 3 replica 1gb 2gb 3", "normal 1 2 3 slave 1073741824 2147483648 3 pubsub 33554432 8388608 60", ""},
		{"client-output-buffer-limit", "", "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", ""},
		{"client-output-buffer-limit", "pubsub 1 2", "", "Wrong number of arguments in buffer limit configuration."},
		{"client-output-buffer-limit", " pubsub 1 2 3", "", "Wrong number of arguments in buffer limit configuration."},
		{"client-output-buffer-limit", "master 1 2 3", "", "Invalid client class specified in buffer limit configuration."},
		{"client-output-buffer-limit", "pubsub 1 2 1.5", "", "Error in hard, soft or soft_seconds setting in buffer limit configuration."},
		{"maxmemory", "-1", "", "argument must be a memory value"},
		{"maxmemory", "100mb", "104857600", ""},
		{"maxmemory-samples", "0", "", "argument must be between 1 and 2147483647 inclusive"},
		{"lua-time-limit", "100", "100", ""},
	} {
		c := New()
		err := c.Set(tc.name, tc.value)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%s %q: error %v, want %q", tc.name, tc.value, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %q: %v", tc.name, tc.value, err)
			continue
		}
		if got, _ := c.Get(tc.name); got != tc.want {
			t.Errorf("%s %q: got %q, want %q", tc.name, tc.value, got, tc.want)
		}
	}
	c := New()
	if err := c.Set("client-output-buffer-limit", "pubsub 1kb 2 3"); err != nil {
		t.Fatal(err)
	}
	if got := c.OutputBufferLimits().PubSub; got != (ClassLimit{1024, 2, 3}) {
		t.Errorf("parsed pubsub limit %+v", got)
	}
	if err := c.Set("notify-keyspace-events", "Kx"); err != nil || c.Int("notify-keyspace-events") != NotifyKeyspace|NotifyExpired {
		t.Errorf("notify flags %b, %v", c.Int("notify-keyspace-events"), err)
	}
}
