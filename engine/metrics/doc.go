// Package metrics exports a data node's figures in the Prometheus text
// format on an HTTP listener of its own (mnemo node --metrics-addr), apart
// from the client port so that scraping never competes with clients for
// the engine's connection limits or ACLs.
//
// Nothing is counted twice: the collector reads the engine's own counters
// (the ones INFO reports, through command.Engine.Metrics) when Prometheus
// scrapes, so the exporter costs nothing between scrapes and agrees with
// INFO. The only figures kept here are the transactional log's latency and
// batch-size histograms, which the committer reports through
// txlog.SetCommitObserver as appends complete.
//
// Every family is prefixed mnemo_, counts end in _total, times are in
// seconds and sizes in bytes. Labels are bounded: command names (the
// command table's), command families, and results — never keys, clients
// or addresses. Which cluster, shard and pod a series belongs to comes
// from the scrape's target labels (see config/monitoring/podmonitor.yaml).
//
// It is not a metrics library for the operator: the operator's metrics
// live in controllers/ on controller-runtime's registry.
package metrics
