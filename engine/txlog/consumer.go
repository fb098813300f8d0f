package txlog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Follow delivers the stream's entries after sequence from to fn, in
// order, as they are committed, until ctx ends or fn fails. It uses an
// ordered consumer: JetStream delivers only committed entries, and the
// consumer recreates itself at the next sequence when the log's leader
// changes. tail, if not nil, is told the stream's last sequence as each
// entry arrives, for the replica's lag.
func (st *Stream) Follow(ctx context.Context, from uint64, fn func(seq uint64, data []byte) error, tail func(uint64)) error {
	cons, err := st.s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:   from + 1,
	})
	if err != nil {
		return fmt.Errorf("cannot follow the log: %w", err)
	}
	// A short expiry and heartbeat notice a dead log server in about a
	// second, so the consumer moves to another one soon.
	it, err := cons.Messages(jetstream.PullExpiry(2*time.Second), jetstream.PullHeartbeat(time.Second))
	if err != nil {
		return fmt.Errorf("cannot follow the log: %w", err)
	}
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	defer it.Stop()
	for {
		msg, err := it.Next()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return ctx.Err()
			}
			return fmt.Errorf("following the log: %w", err)
		}
		meta, err := msg.Metadata()
		if err != nil {
			return fmt.Errorf("following the log: %w", err)
		}
		seq := meta.Sequence.Stream
		if tail != nil {
			tail(seq + meta.NumPending)
		}
		if err := fn(seq, msg.Data()); err != nil {
			return err
		}
	}
}

// Entry reads the entry at seq.
func (st *Stream) Entry(ctx context.Context, seq uint64) ([]byte, error) {
	msg, err := st.s.GetMsg(ctx, seq)
	if err != nil {
		return nil, fmt.Errorf("cannot read log entry %d: %w", seq, err)
	}
	return msg.Data, nil
}
