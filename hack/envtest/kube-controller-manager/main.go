// Command kube-controller-manager is the upstream Kubernetes controller
// manager, built from the Go module proxy. The operator's envtest suite runs
// a few of its controllers (garbage collector, StatefulSet, Job) next to the
// API server, so deleting a Cluster is seen to clean up through owner
// references as it would on a real cluster. It is the upstream main, nothing
// more.
package main

import (
	"os"
	_ "time/tzdata" // for CronJob time zones

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"          // JSON log format
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics
	_ "k8s.io/component-base/metrics/prometheus/version"  // version metric
	"k8s.io/kubernetes/cmd/kube-controller-manager/app"
)

func main() {
	os.Exit(cli.Run(app.NewControllerManagerCommand()))
}
