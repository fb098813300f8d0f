// Package monitoring holds Mnemo's monitoring assets — the PodMonitors,
// the PrometheusRule with its alerts and the Grafana dashboard — for the
// Helm chart to ship and for kubectl apply -k. Its only Go code is the test
// that keeps them valid: the dashboard's JSON parses, and every alert and
// panel expression parses with Prometheus's own PromQL parser and names
// only metrics docs/operations.md documents.
package monitoring
