package command

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mnemo-dev/mnemo/engine/config"
)

// serverTestEngine returns an engine and a connected client, with the
// shared command table's statistics reset so counts start at zero.
func serverTestEngine(t *testing.T) (*Engine, *Client) {
	t.Helper()
	e := New(config.New())
	c := e.NewClient("127.0.0.1:5000", "127.0.0.1:6379", nil)
	run(e, c, "CONFIG", "RESETSTAT")
	return e, c
}

// infoText runs INFO with the given sections and returns its text.
func infoText(t *testing.T, e *Engine, c *Client, sections ...string) string {
	t.Helper()
	reply := run(e, c, append([]string{"INFO"}, sections...)...)
	if !strings.HasPrefix(reply, "$") {
		t.Fatalf("INFO reply is not a bulk string: %q", reply)
	}
	_, body, _ := strings.Cut(reply, "\r\n")
	return strings.TrimSuffix(body, "\r\n")
}

func infoField(t *testing.T, info, field string) string {
	t.Helper()
	for _, l := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			return v
		}
	}
	t.Fatalf("INFO has no %s field:\n%s", field, info)
	return ""
}

func TestInfoFields(t *testing.T) {
	e, c := serverTestEngine(t)
	now := time.Now()
	e.Now = func() time.Time { return now }
	run(e, c, "SET", "k", "v")
	run(e, c, "SET", "t", "v", "PX", "100")
	run(e, c, "GET", "k")
	run(e, c, "GET", "missing")
	run(e, c, "NOSUCHCOMMAND")

	info := infoText(t, e, c)
	for field, want := range map[string]string{
		"redis_version":               "7.0.15",
		"mnemo_version":               Version,
		"redis_mode":                  "cluster",
		"role":                        "master",
		"cluster_enabled":             "1",
		"connected_clients":           "1",
		"blocked_clients":             "0",
		"keyspace_hits":               "1",
		"keyspace_misses":             "1",
		"expired_keys":                "0",
		"total_commands_processed":    "5",
		"total_error_replies":         "1",
		"maxclients":                  "10000",
		"tcp_port":                    "6379",
		"rdb_changes_since_last_save": "2",
		"aof_enabled":                 "0",
		"db0":                         "keys=2,expires=1,avg_ttl=0",
	} {
		if got := infoField(t, info, field); got != want {
			t.Errorf("%s = %q, want %q", field, got, want)
		}
	}
	if got := infoField(t, info, "used_memory"); got == "0" {
		t.Errorf("used_memory = 0, want the heap in use")
	}
	if got, want := infoField(t, info, "server_time_usec"), itoa(now.UnixMicro()); got != want {
		t.Errorf("server_time_usec = %s, want %s", got, want)
	}

	// The key with a TTL expires once its time has passed and it is read.
	now = now.Add(time.Second)
	run(e, c, "GET", "t")
	info = infoText(t, e, c, "stats", "keyspace")
	if got := infoField(t, info, "expired_keys"); got != "1" {
		t.Errorf("expired_keys = %s after a key expired, want 1", got)
	}
	if got := infoField(t, info, "db0"); got != "keys=1,expires=0,avg_ttl=0" {
		t.Errorf("db0 = %s after a key expired", got)
	}
}

func TestInfoSections(t *testing.T) {
	e, c := serverTestEngine(t)
	titles := func(info string) []string {
		var out []string
		for _, l := range strings.Split(info, "\r\n") {
			if t, ok := strings.CutPrefix(l, "# "); ok {
				out = append(out, t)
			}
		}
		return out
	}
	defaults := "Server Clients Memory Persistence Stats Replication CPU Modules Errorstats Cluster Log Keyspace"
	everything := "Server Clients Memory Persistence Stats Replication CPU Modules Commandstats Errorstats Latencystats Cluster Log Keyspace"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, defaults},
		{[]string{"default"}, defaults},
		{[]string{"DEFAULT", "commandstats"}, "Server Clients Memory Persistence Stats Replication CPU Modules Commandstats Errorstats Cluster Log Keyspace"},
		{[]string{"all"}, everything},
		{[]string{"everything"}, everything},
		{[]string{"keyspace", "SERVER", "server"}, "Server Keyspace"},
		{[]string{"nosuch"}, ""},
		{[]string{"latencystats", "nosuch"}, "Latencystats"},
	} {
		if got := strings.Join(titles(infoText(t, e, c, tc.args...)), " "); got != tc.want {
			t.Errorf("INFO %v sections = %q, want %q", tc.args, got, tc.want)
		}
	}
	// Sections are separated by one blank line, with none after the last.
	if got := infoText(t, e, c, "cluster", "modules"); got != "# Modules\r\n\r\n# Cluster\r\ncluster_enabled:1\r\n" {
		t.Errorf("INFO cluster modules = %q", got)
	}
}

func TestInfoCommandStats(t *testing.T) {
	e, c := serverTestEngine(t)
	run(e, c, "SET", "k", "v")
	run(e, c, "GET", "k")
	run(e, c, "GET", "k")
	run(e, c, "GET", "a", "b")           // rejected: arity
	run(e, c, "SET", "k", "v", "BADOPT") // failed: syntax
	run(e, c, "CONFIG", "GET", "hz")

	info := infoText(t, e, c, "commandstats")
	for _, re := range []string{
		`(?m)^cmdstat_get:calls=2,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=1,failed_calls=0\r$`,
		`(?m)^cmdstat_set:calls=2,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=1\r$`,
		`(?m)^cmdstat_config\|get:calls=1,`,
		`(?m)^cmdstat_config\|resetstat:calls=1,`,
	} {
		if !regexp.MustCompile(re).MatchString(info + "\r\n") {
			t.Errorf("INFO commandstats does not match %s:\n%s", re, info)
		}
	}
	if strings.Contains(info, "cmdstat_config:") {
		t.Errorf("a container with no calls of its own is listed:\n%s", info)
	}

	lat := infoText(t, e, c, "latencystats")
	if !regexp.MustCompile(`(?m)^latency_percentiles_usec_get:p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}\r$`).MatchString(lat + "\r\n") {
		t.Errorf("INFO latencystats has no line for get:\n%s", lat)
	}

	// RESETSTAT forgets command statistics, hits and misses.
	run(e, c, "CONFIG", "RESETSTAT")
	info = infoText(t, e, c, "commandstats", "stats", "latencystats")
	if strings.Contains(info, "cmdstat_get") || strings.Contains(info, "latency_percentiles_usec_get") {
		t.Errorf("statistics survive CONFIG RESETSTAT:\n%s", info)
	}
	if got := infoField(t, info, "keyspace_hits"); got != "0" {
		t.Errorf("keyspace_hits = %s after CONFIG RESETSTAT", got)
	}
}

func TestTimeAndLastsave(t *testing.T) {
	e, c := serverTestEngine(t)
	e.Now = func() time.Time { return time.Unix(1700000000, 123456789) }
	if got, want := run(e, c, "TIME"), "*2\r\n$10\r\n1700000000\r\n$6\r\n123456\r\n"; got != want {
		t.Errorf("TIME = %q, want %q", got, want)
	}
	if got, want := run(e, c, "LASTSAVE"), ":"+itoa(e.started.Unix())+"\r\n"; got != want {
		t.Errorf("LASTSAVE = %q, want %q", got, want)
	}
}

func TestBytesToHuman(t *testing.T) {
	for _, tc := range []struct {
		n    uint64
		want string
	}{
		{0, "0B"},
		{1023, "1023B"},
		{1024, "1.00K"},
		{1665040, "1.59M"},
		{25274793984, "23.54G"},
		{3 << 40, "3.00T"},
		{5 << 50, "5.00P"},
	} {
		if got := bytesToHuman(tc.n); got != tc.want {
			t.Errorf("bytesToHuman(%d) = %s, want %s", tc.n, got, tc.want)
		}
	}
}

func TestLatencyHistogram(t *testing.T) {
	// Buckets tile the value range: every value lies in its bucket, and
	// the bucket's highest value maps back to it.
	for v := int64(1); v < 1<<20; v += 7 {
		i := histIndex(v)
		if hi := histHighest(i); hi < v || histIndex(hi) != i || (i > 0 && histHighest(i-1) >= v) {
			t.Fatalf("value %d: bucket %d highest %d", v, i, hi)
		}
	}
	for _, tc := range []struct {
		name   string
		values []int64 // ns
		p      float64
		want   int64
	}{
		// Redis reports 101.375 µs for one call of about 101 µs.
		{"one value", []int64{101_000}, 50, 101_375},
		{"exact below 256", []int64{5, 7, 200}, 50, 7},
		{"p99 of 100", seq(1, 100), 99, 99},
		{"p99.9 of 100", seq(1, 100), 99.9, 100},
		{"clamped low", []int64{0}, 50, 1},
		{"clamped high", []int64{5_000_000_000}, 50, histHighest(histIndex(histMaxNs))},
	} {
		var h latencyHistogram
		for _, v := range tc.values {
			h.add(v)
		}
		if got := h.percentile(tc.p); got != tc.want {
			t.Errorf("%s: p%v = %d, want %d", tc.name, tc.p, got, tc.want)
		}
	}
}

func seq(from, to int64) []int64 {
	var out []int64
	for v := from; v <= to; v++ {
		out = append(out, v)
	}
	return out
}

func TestLatencyHistogramCumulative(t *testing.T) {
	for _, tc := range []struct {
		name   string
		values []int64 // ns
		want   string
	}{
		{"one value", []int64{101_000}, "[[132 1]]"},
		{"two levels", []int64{500, 3000}, "[[1 1] [4 2]]"},
		{"same level", []int64{5000, 6000, 7000}, "[[8 3]]"},
		{"clamped high", []int64{5_000_000_000}, "[[1082130 1]]"},
	} {
		var h latencyHistogram
		for _, v := range tc.values {
			h.add(v)
		}
		if got := fmt.Sprint(h.cumulative()); got != tc.want {
			t.Errorf("%s: cumulative = %s, want %s", tc.name, got, tc.want)
		}
	}
}
