package txlog

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/mnemo-dev/mnemo/engine/internal/retry"
)

// MaxBatchBytes is the largest batch the log accepts in one append. The
// pipeline never builds a larger one out of small writes, and the engine
// refuses a single write whose effects could not fit (MaxEffectBytes)
// before it runs.
const MaxBatchBytes = 64 << 20

// MaxEffectBytes is the largest write the engine accepts: its arguments
// must fit in one batch with room for the record's framing.
const MaxEffectBytes = MaxBatchBytes - 64<<10

// Stream is one shard's log: a JetStream stream with one subject.
type Stream struct {
	nc      *nats.Conn
	js      jetstream.JetStream
	s       jetstream.Stream
	name    string
	subject string
	// onAppend receives the outcomes of AppendAsync's appends.
	onAppend atomic.Pointer[AppendHandlers]
}

// AppendHandlers receive the outcomes of a stream's appends, identified
// by the message AppendAsync returned. Ack runs on the goroutine that
// reads acknowledgements, directly: it must not block. Fail may run with
// the JetStream client's publisher lock held: it must only record the
// failure (calling into the stream from it deadlocks).
type AppendHandlers struct {
	Ack  func(m *nats.Msg, seq uint64)
	Fail func(m *nats.Msg, err error)
}

// StreamName returns the JetStream stream name of a shard's log.
func StreamName(shard int) string { return "MNEMO_SHARD_" + strconv.Itoa(shard) }

// OpenStream connects a shard's log over nc, creating the stream with the
// given replica count if it does not exist yet.
func OpenStream(ctx context.Context, nc *nats.Conn, shard, replicas int) (*Stream, error) {
	st := &Stream{nc: nc}
	// An append that gets no acknowledgement within attemptTimeout is
	// sent again (the connection or the stream leader may have gone).
	// Outcomes go to callbacks rather than to each append's future: the
	// committer completes batches on the goroutine that reads the
	// acknowledgements, with no hand-off to a goroutine of its own.
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(256),
		jetstream.WithPublishAsyncTimeout(attemptTimeout),
		jetstream.WithPublishAsyncAckHandler(func(_ jetstream.JetStream, m *nats.Msg, ack *jetstream.PubAck) {
			if h := st.onAppend.Load(); h != nil {
				h.Ack(m, ack.Sequence)
			}
		}),
		jetstream.WithPublishAsyncErrHandler(func(_ jetstream.JetStream, m *nats.Msg, err error) {
			if h := st.onAppend.Load(); h != nil {
				h.Fail(m, err)
			}
		}))
	if err != nil {
		return nil, fmt.Errorf("cannot use JetStream: %w", err)
	}
	name := StreamName(shard)
	subject := "mnemo.shard." + strconv.Itoa(shard) + ".log"
	cfg := jetstream.StreamConfig{
		Name:        name,
		Description: "Mnemo transactional log of shard " + strconv.Itoa(shard),
		Subjects:    []string{subject},
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
		Retention:   jetstream.LimitsPolicy,
		MaxMsgSize:  MaxBatchBytes + 64<<10,
		Discard:     jetstream.DiscardNew,
		AllowDirect: true,
	}
	var s jetstream.Stream
	// A log cluster that is still electing its meta leader answers with
	// errors, or not at all, for a while after start.
	err = retry.Bounded(ctx, "cannot open log stream "+name, func(ctx context.Context) (err error) {
		s, err = js.Stream(ctx, name)
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			s, err = js.CreateStream(ctx, cfg)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	st.js, st.s, st.name, st.subject = js, s, name, subject
	return st, nil
}

// OnAppend sets the handlers of AppendAsync's outcomes.
func (st *Stream) OnAppend(h AppendHandlers) { st.onAppend.Store(&h) }

// LastSeq returns the sequence of the last entry in the stream.
func (st *Stream) LastSeq(ctx context.Context) (uint64, error) {
	info, err := st.s.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("cannot read log stream state: %w", err)
	}
	return info.State.LastSeq, nil
}

// attemptTimeout bounds one attempt of an append; the commit timeout
// bounds them all.
const attemptTimeout = 2 * time.Second

// AppendAsync starts an append that must follow sequence expectLast (the
// fence), identified by id, and returns its message: the handlers set
// with OnAppend receive its outcome, possibly before AppendAsync returns.
// If follows is not empty, the entry at expectLast must also carry that
// id: a pipelined append names the append sent before it, so that it
// fails, rather than lands, if that one did not land where expected.
func (st *Stream) AppendAsync(data []byte, expectLast uint64, id, follows string) (*nats.Msg, error) {
	// The headers are set directly: Header.Set canonicalises each key.
	h := nats.Header{jetstream.MsgIDHeader: {id}}
	if follows != "" {
		h[jetstream.ExpectedLastMsgIDHeader] = []string{follows}
	}
	msg := &nats.Msg{Subject: st.subject, Data: data, Header: h}
	if _, err := st.js.PublishMsgAsync(msg, jetstream.WithExpectLastSequence(expectLast), jetstream.WithExpectStream(st.name)); err != nil {
		return nil, err
	}
	return msg, nil
}

// EntryID returns the append id of the entry at seq, "" if it has none.
func (st *Stream) EntryID(ctx context.Context, seq uint64) (string, error) {
	msg, err := st.s.GetMsg(ctx, seq)
	if err != nil {
		return "", err
	}
	return msg.Header.Get(jetstream.MsgIDHeader), nil
}

// Replay calls fn for every entry after sequence from up to the stream's
// last sequence when Replay starts, in order, and returns that last
// sequence. Entries are read one by one with JetStream's direct get, each
// bounded by a timeout, so a log that stops answering fails the replay
// instead of hanging it.
func (st *Stream) Replay(ctx context.Context, from uint64, fn func(seq uint64, data []byte) error) (uint64, error) {
	last, err := st.LastSeq(ctx)
	if err != nil {
		return 0, err
	}
	for seq := from + 1; seq <= last; seq++ {
		gctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		msg, err := st.s.GetMsg(gctx, seq)
		cancel()
		if err != nil {
			return 0, fmt.Errorf("cannot read log entry %d: %w", seq, err)
		}
		if err := fn(seq, msg.Data); err != nil {
			return 0, fmt.Errorf("log entry %d: %w", seq, err)
		}
	}
	return last, nil
}

// IsFenced reports whether an append error means the expected last
// sequence, or the expected id of the entry there, did not hold: another
// writer appended first, or the append before it did not land.
func IsFenced(err error) bool {
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	switch apiErr.ErrorCode {
	case jetstream.JSErrCodeStreamWrongLastSequence, jetstream.JSErrCodeStreamWrongLastSequenceConstant, errCodeStreamWrongLastMsgID:
		return true
	}
	return false
}

// errCodeStreamWrongLastMsgID is JetStream's error for an append whose
// expected last message id (Nats-Expected-Last-Msg-Id) did not match;
// nats.go names no constant for it.
const errCodeStreamWrongLastMsgID jetstream.ErrorCode = 10070

// Name returns the stream's name.
func (st *Stream) Name() string { return st.name }
