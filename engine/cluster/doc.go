// Package cluster describes a Mnemo cluster's topology as Redis Cluster
// clients see it: shards, the hash slots each one owns, and each shard's
// primary and replicas with the addresses they announce.
//
// A Topology is an immutable value. The command layer renders it as
// CLUSTER SLOTS, SHARDS, NODES and INFO replies; whoever learns a new
// topology builds a new value and swaps it in. Today a node is the only
// node of its cluster and owns every slot (SingleNode); the multi-node
// source reads the topology from the shared store and builds the same
// value, so the commands do not change when it arrives.
//
// The package also gives nodes their identity: a 40-hex node ID that stays
// the same across restarts of the same node (LoadOrCreateNodeID).
//
// It is not the Redis cluster bus: Mnemo nodes never gossip. Nodes agree
// on the topology through the transactional log's KV store, so there are no
// PING/PONG messages, failure reports or link states to keep here.
package cluster
