package main

import (
	"context"
	"log/slog"
	"strconv"

	"github.com/mnemo-dev/mnemo/engine/command"
	"github.com/mnemo-dev/mnemo/engine/metrics"
)

// metricsFlag is the role flag of the Prometheus listener, for local and
// node alike.
var metricsFlag = roleFlag{"metrics-addr", "HOST:PORT", "serve Prometheus metrics at http://HOST:PORT/metrics (off unless set; :9121 in Kubernetes)", ""}

// startMetrics serves the engine's metrics on --metrics-addr, if set,
// until ctx ends. A listener that cannot bind fails the node's start: a
// node that silently exports nothing looks like a dead one to alerts.
func startMetrics(ctx context.Context, name string, vals map[string]string, e *command.Engine, nodeID string, log *slog.Logger) error {
	addr := vals["metrics-addr"]
	if addr == "" {
		return nil
	}
	shard := -1
	if vals["in-memory"] != "yes" {
		shard = 0
		if n, err := strconv.Atoi(vals["shard"]); err == nil && name == "node" {
			shard = n
		}
	}
	reg := metrics.NewRegistry(e, metrics.Options{NodeID: nodeID, Shard: shard, Log: log})
	bound, err := metrics.Serve(ctx, addr, reg, log)
	if err != nil {
		return err
	}
	log.Info("Serving metrics", "url", "http://"+bound.String()+"/metrics")
	return nil
}
