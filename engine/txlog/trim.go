package txlog

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Log trimming and timed replay, for snapshots: a snapshot covers the log
// up to a sequence, so the entries at and below it may go, and a
// point-in-time restore replays up to a commit time.

// FirstSeq returns the sequence of the oldest entry the stream still
// holds (LastSeq+1 when it holds none).
func (st *Stream) FirstSeq(ctx context.Context) (uint64, error) {
	info, err := st.s.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("cannot read log stream state: %w", err)
	}
	return info.State.FirstSeq, nil
}

// TrimBelow removes every entry with a sequence below seq.
func (st *Stream) TrimBelow(ctx context.Context, seq uint64) error {
	if seq <= 1 {
		return nil
	}
	if err := st.s.Purge(ctx, jetstream.WithPurgeSequence(seq)); err != nil {
		return fmt.Errorf("cannot trim log stream %s below %d: %w", st.name, seq, err)
	}
	return nil
}

// ReplayRange calls fn for every entry after sequence from up to and
// including to, with its commit time, in order, stopping early when fn
// returns stop. A missing entry (trimmed away) is an error: the caller
// would otherwise rebuild a state with a hole in its history.
//
// It is the snapshot builder's read of the log, which must not slow the
// primary's appends on the same log servers: it asks for the entries in
// batches of at most replayBatch entries and replayBatchBytes (JetStream's
// batched direct get), one batch at a time. One request per batch instead
// of one per entry spares the log server most of the work of answering
// (a tail of unpipelined writes is about one entry per write), and the
// bounds keep what it sends at once small: the builder reads no faster
// than it applies.
func (st *Stream) ReplayRange(ctx context.Context, from, to uint64, fn func(seq uint64, at time.Time, data []byte) (stop bool, err error)) error {
	if from >= to {
		return nil
	}
	inbox := st.nc.NewInbox()
	sub, err := st.nc.SubscribeSync(inbox)
	if err != nil {
		return fmt.Errorf("cannot read the log: %w", err)
	}
	defer sub.Unsubscribe()
	// A batch is bounded by its request; one entry may be as large as
	// an append (MaxBatchBytes), more than the default pending limit.
	if err := sub.SetPendingLimits(-1, -1); err != nil {
		return fmt.Errorf("cannot read the log: %w", err)
	}
	subject := "$JS.API.DIRECT.GET." + st.name
	for seq := from + 1; seq <= to; {
		req, _ := json.Marshal(directBatchRequest{Seq: seq, Batch: int(min(to-seq+1, replayBatch)), MaxBytes: replayBatchBytes})
		if err := st.nc.PublishRequest(subject, inbox, req); err != nil {
			return fmt.Errorf("cannot read log entry %d: %w", seq, err)
		}
		got := 0
		for {
			gctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			msg, err := sub.NextMsgWithContext(gctx)
			cancel()
			if err != nil {
				return fmt.Errorf("cannot read log entry %d: %w", seq, err)
			}
			if status := msg.Header.Get("Status"); status != "" {
				if status == directEOB && got > 0 {
					break // the batch's end, possibly short of what was asked
				}
				return fmt.Errorf("cannot read log entry %d: %s %s", seq, status, msg.Header.Get("Description"))
			}
			n, err := strconv.ParseUint(msg.Header.Get(jetstream.SequenceHeader), 10, 64)
			if err != nil || n != seq {
				// Entries are removed only from the log's start (trim),
				// so a skipped sequence is a hole, never a gap to step over.
				return fmt.Errorf("cannot read log entry %d: the log answered entry %q", seq, msg.Header.Get(jetstream.SequenceHeader))
			}
			at, err := time.Parse(time.RFC3339Nano, msg.Header.Get(jetstream.TimeStampHeaer))
			if err != nil {
				return fmt.Errorf("log entry %d: bad time stamp: %w", seq, err)
			}
			got++
			stop, err := fn(seq, at, msg.Data)
			if err != nil {
				return fmt.Errorf("log entry %d: %w", seq, err)
			}
			if stop {
				return nil
			}
			seq++
		}
	}
	return nil
}

// The bounds of one batch of ReplayRange: small enough that answering it
// is a short burst for the log server, large enough that a request's own
// cost is spread over many entries.
const (
	replayBatch      = 64
	replayBatchBytes = 1 << 20
)

// directBatchRequest is JetStream's batched direct get (nats-server 2.11
// and later): up to Batch messages from Seq, at most MaxBytes of them
// (at least one), then an end-of-batch status.
type directBatchRequest struct {
	Seq      uint64 `json:"seq"`
	Batch    int    `json:"batch"`
	MaxBytes int    `json:"max_bytes"`
}

// directEOB is the status (header "Status", which nats.go names but does
// not export) of the message that ends a batch.
const directEOB = "204"

// EntryTime returns the commit time of the entry at seq.
func (st *Stream) EntryTime(ctx context.Context, seq uint64) (time.Time, error) {
	msg, err := st.s.GetMsg(ctx, seq)
	if err != nil {
		return time.Time{}, fmt.Errorf("cannot read log entry %d: %w", seq, err)
	}
	return msg.Time, nil
}
