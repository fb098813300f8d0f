package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mnemo-dev/mnemo/engine/command"
	"github.com/mnemo-dev/mnemo/engine/txlog"
)

// Options describe the node the metrics are of.
type Options struct {
	// NodeID and Shard label mnemo_node_info; Shard is -1 when the node
	// has none (an in-memory local node).
	NodeID string
	Shard  int
	// Log receives the listener's errors; nil discards them.
	Log *slog.Logger
}

// The log's histograms, fed by the committer as appends complete.
var (
	logAppendBounds = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}
	// Writes per append: 1 when writers come one at a time, growing with
	// concurrency (group commit).
	logBatchWriteBounds = prometheus.ExponentialBuckets(1, 2, 12)  // 1 … 2048
	logBatchByteBounds  = prometheus.ExponentialBuckets(64, 4, 10) // 64 B … 16 MiB
)

// NewRegistry returns a registry with the engine's families, the log's
// histograms, and the Go runtime's and the process's standard ones. It
// makes the log's histograms the process's commit observer: one registry
// per process.
func NewRegistry(src Source, opts Options) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(&engineCollector{src: src, labels: [4]string{
		opts.NodeID, shardLabel(opts.Shard), command.Version, command.DefaultTable().RedisVersion()}})
	appendLatency := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "mnemo_log_append_duration_seconds",
		Help:    "Time from sending an append to the log to its acknowledgement: what a write waits for before its reply.",
		Buckets: logAppendBounds,
	})
	batchWrites := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "mnemo_log_batch_writes",
		Help:    "Write commands (or transactions) carried by each committed append: how much group commit gathers.",
		Buckets: logBatchWriteBounds,
	})
	batchBytes := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "mnemo_log_batch_size_bytes",
		Help:    "Size of each committed append.",
		Buckets: logBatchByteBounds,
	})
	reg.MustRegister(appendLatency, batchWrites, batchBytes,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	txlog.SetCommitObserver(func(o txlog.CommitObservation) {
		appendLatency.Observe(o.Latency.Seconds())
		batchWrites.Observe(float64(o.Writes))
		batchBytes.Observe(float64(o.Bytes))
	})
	return reg
}

// Serve listens on addr and serves reg's metrics at /metrics until ctx
// ends. It returns once the listener is bound, with its address (addr may
// name port 0), so a bind failure is the caller's error, not a log line.
func Serve(ctx context.Context, addr string, reg *prometheus.Registry, log *slog.Logger) (net.Addr, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen for metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError,
		// Scrapes are rare; a small limit keeps a stuck scraper from
		// piling up goroutines that all wait on the engine lock.
		MaxRequestsInFlight: 2,
		Timeout:             10 * time.Second,
	}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("Metrics listener stopped", "error", err)
		}
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	return ln.Addr(), nil
}
