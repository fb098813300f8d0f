// Command coredns is CoreDNS with only the plugins a one-node cluster's DNS
// needs (kubernetes, cache, errors, log, health, ready, loadbalance, bind),
// built from the Go module proxy for hack/local-k8s. It serves the cluster
// zone only: names outside it are refused, so nothing in the cluster
// resolves, and so reaches, an outside address by name.
package main

import (
	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"

	"github.com/coredns/coredns/coremain"
)

func main() {
	coremain.Run()
}
