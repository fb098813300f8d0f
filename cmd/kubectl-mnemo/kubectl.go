package main

import (
	"context"
	"os"
	"os/exec"
)

// runKubectl runs kubectl with args (after the kubeconfig flags) on the
// user's terminal: cli and logs are kubectl's exec and logs, which handle
// terminals, streams and reconnection better than a copy would.
func runKubectl(ctx context.Context, e *env, args ...string) error {
	cmd := exec.CommandContext(ctx, "kubectl", append(append([]string{}, e.kubeFlags...), args...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, e.out, e.errOut
	return cmd.Run()
}
