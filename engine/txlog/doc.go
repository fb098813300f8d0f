// Package txlog is the transactional log of a shard: the effects of the
// primary's writes, committed to a NATS JetStream stream before any client
// hears of them, and replayed to rebuild a node's state.
//
// It holds the record format, the commit pipeline (group commit with
// pipelined, fenced appends), the JetStream client side (one stream per
// shard) and the embedded JetStream server that `mnemo log` and `mnemo
// local` run. It knows nothing of commands: an effect is an argument vector
// that the engine produced and will apply again.
//
// # Record format
//
// One JetStream message is one batch: every group of effects that arrived
// while the previous append was in flight (group commit). Each append
// expects the stream's last sequence (the fence); an append sent while
// others are in flight also expects the entry there to be the one sent
// before it (Nats-Expected-Last-Msg-Id), so no append of a deposed
// primary can land behind another writer's entry. Layout, version 1:
//
//	offset  size  field
//	0       1     format version (1); a reader refuses versions it does not know
//	1       4     CRC-32C (Castagnoli) of everything from offset 5, little endian
//	5       ...   uvarint group count, then the groups (the count is written
//	              padded to 5 bytes, so a batch is encoded in place)
//
// A group is applied atomically (a command, or a whole MULTI/EXEC):
//
//	1 byte   kind: 1 = effects
//	uvarint  effect count, then each effect:
//	         uvarint argc, then argc times: uvarint length, bytes
//
// Effects are deterministic: relative times are absolute, random choices
// are the values chosen, so applying the same records to the same state
// always gives the same state.
package txlog
