// Command pause is the local cluster's pod sandbox ("pause") image: it holds
// a pod's namespaces and waits until it is told to stop. Kubernetes' own
// pause image comes from a registry, which this machine cannot reach.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM, syscall.SIGINT)
	<-c
}
