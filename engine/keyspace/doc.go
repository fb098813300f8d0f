// Package keyspace holds a node's data: keys partitioned by the 16384 Redis
// Cluster hash slots, their values and their expiry times, and the data
// structures that values are made of (lists, hashes, sets, sorted sets).
//
// Partitioning by slot makes counting, listing and moving one slot's keys
// cost what that slot holds, not what the node holds, which is what
// CLUSTER COUNTKEYSINSLOT, GETKEYSINSLOT and resharding need.
//
// A DB is not safe for concurrent use: the engine serialises every command
// under one lock, as Redis runs commands on one thread. The keyspace knows
// nothing of commands, clients or the wire protocol.
package keyspace
