package main

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"
)

func logsCmd(conn connect) *cobra.Command {
	var shard string
	var follow bool
	var since time.Duration
	var tail int
	cmd := &cobra.Command{
		Use:   "logs CLUSTER",
		Short: "Show the logs of a Cluster's data nodes, each line prefixed with its pod",
		Long: "logs shows the logs of every data node of the Cluster (or of one shard), through\n" +
			"kubectl logs with a label selector, each line prefixed with its pod and container.",
		Example:           "  kubectl mnemo logs orders --shard 1 -f --since 10m",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: clusterArg(conn),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := conn()
			if err != nil {
				return err
			}
			return runKubectl(cmd.Context(), e, logsArgs(e.ns, args[0], shard, follow, since, tail)...)
		},
	}
	cmd.Flags().StringVar(&shard, "shard", "", "only this shard's nodes (its index)")
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "stream new lines")
	cmd.Flags().DurationVar(&since, "since", 0, "only lines newer than this (e.g. 10m)")
	cmd.Flags().IntVar(&tail, "tail", 200, "lines per pod to start from (-1: all)")
	return cmd
}

// logsArgs are kubectl's arguments for the logs of a Cluster's data nodes.
func logsArgs(ns, cluster, shard string, follow bool, since time.Duration, tail int) []string {
	selector := fmt.Sprintf("mnemo.dev/cluster=%s,app.kubernetes.io/component=node", cluster)
	if shard != "" {
		selector += ",mnemo.dev/shard=" + shard
	}
	args := []string{"logs", "-n", ns, "-l", selector, "--prefix", "--all-containers", "--max-log-requests", "64",
		"--tail", strconv.Itoa(tail)}
	if follow {
		args = append(args, "--follow")
	}
	if since > 0 {
		args = append(args, "--since", since.String())
	}
	return args
}
