//go:build linux

package observability

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/redis/go-redis/v9"
)

// scrape is one parsed scrape of the metrics endpoint, and its text.
type scrape struct {
	text     []byte
	families map[string]*dto.MetricFamily
}

func scrapeMetrics(t *testing.T, url string) scrape {
	t.Helper()
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape %s: %s", url, resp.Status)
	}
	// Ask for nothing fancy: the text format, as Prometheus falls back to.
	text, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		t.Fatalf("the exposition does not parse: %v\n%s", err, text)
	}
	return scrape{text: text, families: fams}
}

// value returns the value of the family's series whose labels include
// those given (name=value pairs); for a histogram, its sample count.
func (s scrape) value(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	v, ok := s.lookup(name, labels...)
	if !ok {
		t.Fatalf("no series %s%v in the scrape", name, labels)
	}
	return v
}

func (s scrape) lookup(name string, labels ...string) (float64, bool) {
	mf := s.families[name]
	if mf == nil {
		return 0, false
	}
next:
	for _, m := range mf.Metric {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, lp := range m.Label {
				if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

// load runs writers concurrent clients doing n SET/GET/INCR rounds each
// under prefix, so that group commit gathers several writes per append.
func load(t *testing.T, rdb *redis.Client, prefix string, writers, n int) {
	t.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range n {
				key := fmt.Sprintf("%s:%d:%d", prefix, w, i)
				if err := rdb.Set(ctx, key, i, 0).Err(); err != nil {
					errs <- err
					return
				}
				if err := rdb.Get(ctx, key).Err(); err != nil {
					errs <- err
					return
				}
				if err := rdb.Incr(ctx, prefix+":counter").Err(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("load: %v", err)
	}
}

// TestMetricsOfLocalUnderLoad scrapes a running `mnemo local` before and
// after a load and checks that the families an operator alerts on exist
// with sane values, and that the exposition passes the client library's
// lint.
func TestMetricsOfLocalUnderLoad(t *testing.T) {
	l := startLocal(t, "--maxmemory", "100mb")
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: l.addr, PoolSize: 16, DisableIdentity: true})
	defer rdb.Close()

	load(t, rdb, "a", 8, 50)
	first := scrapeMetrics(t, l.metricsURL)

	// Misses, an error reply, keys with a TTL, a blocked client.
	for i := range 5 {
		if err := rdb.Get(ctx, "missing:"+strconv.Itoa(i)).Err(); err != redis.Nil {
			t.Fatalf("GET of a missing key: %v", err)
		}
	}
	if err := rdb.LPush(ctx, "a:counter", "x").Err(); err == nil {
		t.Fatal("LPUSH on a string succeeded")
	}
	for i := range 3 {
		if err := rdb.Set(ctx, "ttl:"+strconv.Itoa(i), "v", time.Hour).Err(); err != nil {
			t.Fatal(err)
		}
	}
	blocker := redis.NewClient(&redis.Options{Addr: l.addr, DisableIdentity: true})
	defer blocker.Close()
	popped := make(chan error, 1)
	go func() { popped <- blocker.BLPop(ctx, 0, "queue").Err() }()
	var blocked scrape
	for i := 0; ; i++ {
		blocked = scrapeMetrics(t, l.metricsURL)
		if blocked.value(t, "mnemo_blocked_clients") == 1 {
			break
		}
		if i == 200 {
			t.Fatalf("mnemo_blocked_clients = %v with a client in BLPOP", blocked.value(t, "mnemo_blocked_clients"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := rdb.LPush(ctx, "queue", "job").Err(); err != nil {
		t.Fatal(err)
	}
	if err := <-popped; err != nil {
		t.Fatalf("BLPOP: %v", err)
	}
	load(t, rdb, "b", 8, 50)
	second := scrapeMetrics(t, l.metricsURL)

	// Counters grow.
	for _, c := range []struct {
		name   string
		labels []string
	}{
		{"mnemo_commands_total", []string{"command", "set", "result", "ok"}},
		{"mnemo_commands_total", []string{"command", "get", "result", "ok"}},
		{"mnemo_keyspace_hits_total", nil},
		{"mnemo_net_input_bytes_total", nil},
		{"mnemo_net_output_bytes_total", nil},
		{"mnemo_log_appends_total", nil},
		{"mnemo_log_appended_bytes_total", nil},
		{"mnemo_log_committed_writes_total", nil},
		{"mnemo_log_committed_sequence", nil},
		{"mnemo_command_duration_seconds", []string{"family", "string"}},
		{"mnemo_log_append_duration_seconds", nil},
		{"mnemo_log_batch_writes", nil},
	} {
		before, after := first.value(t, c.name, c.labels...), second.value(t, c.name, c.labels...)
		if !(after > before) || before <= 0 {
			t.Errorf("%s%v: %v then %v, want a positive figure that grew under load", c.name, c.labels, before, after)
		}
	}
	if got := second.value(t, "mnemo_commands_total", "command", "set", "result", "ok"); got != 800+3 {
		t.Errorf("SETs ok = %v, want 803", got)
	}
	if got := second.value(t, "mnemo_commands_total", "command", "lpush", "result", "error"); got != 1 {
		t.Errorf("LPUSH errors = %v, want 1", got)
	}
	if got := second.value(t, "mnemo_keyspace_misses_total"); got < 5 {
		t.Errorf("misses = %v, want at least 5", got)
	}
	// Gauges: 800 keys of the loads, two counters, three with a TTL;
	// the queue was emptied by BLPOP.
	if got := second.value(t, "mnemo_keys"); got != 805 {
		t.Errorf("mnemo_keys = %v, want 805", got)
	}
	if got := second.value(t, "mnemo_expiring_keys"); got != 3 {
		t.Errorf("mnemo_expiring_keys = %v, want 3", got)
	}
	if got := second.value(t, "mnemo_blocked_clients"); got != 0 {
		t.Errorf("mnemo_blocked_clients = %v after BLPOP returned, want 0", got)
	}
	if got := second.value(t, "mnemo_connected_clients"); got < 2 {
		t.Errorf("mnemo_connected_clients = %v, want at least the two clients' connections", got)
	}
	used, maxmem := second.value(t, "mnemo_memory_used_bytes"), second.value(t, "mnemo_memory_max_bytes")
	if maxmem != 100<<20 || used <= 0 || used >= maxmem {
		t.Errorf("memory used %v of max %v, want 0 < used < 100 MiB", used, maxmem)
	}
	// A lone primary, nothing pending or behind when idle.
	for _, g := range []struct {
		name string
		want float64
	}{
		{"mnemo_primary", 1}, {"mnemo_log_up", 1}, {"mnemo_replication_lag_entries", 0},
		{"mnemo_log_pending_batches", 0}, {"mnemo_log_fence_rejections_total", 0}, {"mnemo_log_failures_total", 0},
	} {
		if got := second.value(t, g.name); got != g.want {
			t.Errorf("%s = %v when idle, want %v", g.name, got, g.want)
		}
	}
	if applied, committed := second.value(t, "mnemo_replication_applied_sequence"), second.value(t, "mnemo_log_committed_sequence"); applied != committed {
		t.Errorf("applied sequence %v != committed %v on an idle primary", applied, committed)
	}
	if got := second.value(t, "mnemo_node_info", "shard", "0"); got != 1 {
		t.Errorf("mnemo_node_info{shard=0} = %v", got)
	}
	// Histograms observed what happened: every SET, GET and INCR in the
	// string family, and every write in some append.
	if n := second.value(t, "mnemo_command_duration_seconds", "family", "string"); n < 2400 {
		t.Errorf("string command latency observations = %v, want at least 2400", n)
	}
	writes := second.families["mnemo_log_batch_writes"].Metric[0].Histogram
	if got, want := writes.GetSampleSum(), second.value(t, "mnemo_log_committed_writes_total"); got != want {
		t.Errorf("writes in batches (%v) != writes committed (%v)", got, want)
	}
	// Bounded cardinality: no series per key or client.
	if n := len(second.families["mnemo_commands_total"].Metric); n > 3*40 {
		t.Errorf("%d series of mnemo_commands_total for a handful of commands", n)
	}

	// Every family is explained to the people who get paged by it.
	doc, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	for name := range second.families {
		if strings.HasPrefix(name, "mnemo_") && !strings.Contains(string(doc), "`"+name+"`") {
			t.Errorf("%s is not documented in docs/operations.md", name)
		}
	}

	problems, err := promlint.New(bytes.NewReader(second.text)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}
