package txlog

import (
	"context"
	"fmt"
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
func (st *Stream) ReplayRange(ctx context.Context, from, to uint64, fn func(seq uint64, at time.Time, data []byte) (stop bool, err error)) error {
	for seq := from + 1; seq <= to; seq++ {
		gctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		msg, err := st.s.GetMsg(gctx, seq)
		cancel()
		if err != nil {
			return fmt.Errorf("cannot read log entry %d: %w", seq, err)
		}
		stop, err := fn(seq, msg.Time, msg.Data)
		if err != nil {
			return fmt.Errorf("log entry %d: %w", seq, err)
		}
		if stop {
			return nil
		}
	}
	return nil
}

// EntryTime returns the commit time of the entry at seq.
func (st *Stream) EntryTime(ctx context.Context, seq uint64) (time.Time, error) {
	msg, err := st.s.GetMsg(ctx, seq)
	if err != nil {
		return time.Time{}, fmt.Errorf("cannot read log entry %d: %w", seq, err)
	}
	return msg.Time, nil
}
