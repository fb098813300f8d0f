// Package observability tests what an operator of Mnemo watches, against
// real processes: the data node's Prometheus endpoint scraped from a
// running `mnemo local` under a small load. The operator's metrics are
// tested on envtest in controllers/, and the monitoring assets (alerts,
// dashboard) in config/monitoring/.
package observability
