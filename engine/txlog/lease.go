package txlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/mnemo-dev/mnemo/engine/internal/retry"
)

// ControlBucket is the JetStream KV bucket that holds each shard's lease
// and its nodes' status: the data plane's own record of who is primary.
const ControlBucket = "MNEMO_CONTROL"

// Lease is the value of a shard's lease key. Whoever the lease names may
// append to the shard's log; the fence on the append, not the lease, is
// what keeps a second writer out. The lease only makes elections orderly.
type Lease struct {
	// Holder is the node ID of the primary, or of the replica a planned
	// handoff names.
	Holder string `json:"holder"`
	// Addr is where clients reach the holder (host:port).
	Addr string `json:"addr"`
	// Epoch counts the claims of the shard's lease; each new primary's
	// epoch marker in the log carries it.
	Epoch uint64 `json:"epoch"`
	// Handoff is set by a primary that gives the lease to Holder; the
	// holder clears it once it serves as primary.
	Handoff bool `json:"handoff,omitempty"`
}

// NodeStatus is what a node publishes about itself every few hundred
// milliseconds: how to reach it, its role and how far it applied the log.
type NodeStatus struct {
	ID      string `json:"id"`
	Addr    string `json:"addr"`
	Role    string `json:"role"` // "primary" or "replica"
	Applied uint64 `json:"applied"`
}

// ErrLeaseLost is returned by a lease update whose revision no longer
// holds: someone else wrote the lease since.
var ErrLeaseLost = errors.New("the lease changed since it was read")

// Control is a shard's view of the control bucket.
type Control struct {
	kv    jetstream.KeyValue
	shard int
}

// OpenControl opens (creating it if needed) the control bucket on the
// stream's JetStream, replicated like the log.
func OpenControl(ctx context.Context, st *Stream, shard, replicas int) (*Control, error) {
	cfg := jetstream.KeyValueConfig{
		Bucket:      ControlBucket,
		Description: "Mnemo shard leases and node status",
		History:     1,
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
	}
	var kv jetstream.KeyValue
	err := retry.Bounded(ctx, "cannot open the control bucket", func(ctx context.Context) (err error) {
		kv, err = st.js.KeyValue(ctx, ControlBucket)
		if errors.Is(err, jetstream.ErrBucketNotFound) {
			kv, err = st.js.CreateKeyValue(ctx, cfg)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &Control{kv: kv, shard: shard}, nil
}

func (c *Control) prefix() string   { return "shard." + strconv.Itoa(c.shard) + "." }
func (c *Control) leaseKey() string { return c.prefix() + "lease" }

// ClaimLease writes l if the lease is still at revision rev (0: the
// lease was never written) and returns the new revision. It returns
// ErrLeaseLost when the revision no longer holds.
func (c *Control) ClaimLease(ctx context.Context, l Lease, rev uint64) (uint64, error) {
	data, _ := json.Marshal(l)
	var nrev uint64
	var err error
	if rev == 0 {
		nrev, err = c.kv.Create(ctx, c.leaseKey(), data)
		if errors.Is(err, jetstream.ErrKeyExists) {
			err = ErrLeaseLost
		}
	} else {
		nrev, err = c.kv.Update(ctx, c.leaseKey(), data, rev)
	}
	if isRevisionMismatch(err) {
		err = ErrLeaseLost
	}
	return nrev, err
}

func isRevisionMismatch(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, jetstream.ErrKeyExists) {
		return true
	}
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence
}

// PutStatus publishes a node's status.
func (c *Control) PutStatus(ctx context.Context, s NodeStatus) error {
	data, _ := json.Marshal(s)
	_, err := c.kv.Put(ctx, c.prefix()+"node."+s.ID, data)
	return err
}

// ControlUpdate is one change to the shard's control keys: a lease (with
// its revision) or a node status.
type ControlUpdate struct {
	Lease  *Lease
	Rev    uint64
	Status *NodeStatus
}

// Watch sends every change to the shard's lease and node statuses, the
// current values first, until ctx ends. A watch that breaks (the log
// restarting) is started again.
func (c *Control) Watch(ctx context.Context, out chan<- ControlUpdate) {
	for ctx.Err() == nil {
		w, err := c.kv.Watch(ctx, c.prefix()+">")
		if err != nil {
			select {
			case <-ctx.Done():
				return
			case <-time.After(250 * time.Millisecond):
				continue
			}
		}
		c.pump(ctx, w, out)
		w.Stop()
	}
}

func (c *Control) pump(ctx context.Context, w jetstream.KeyWatcher, out chan<- ControlUpdate) {
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-w.Updates():
			if !ok {
				return
			}
			if e == nil {
				continue
			}
			var u ControlUpdate
			switch {
			case e.Key() == c.leaseKey():
				u.Rev = e.Revision()
				if e.Operation() == jetstream.KeyValuePut {
					var l Lease
					if json.Unmarshal(e.Value(), &l) != nil {
						continue
					}
					u.Lease = &l
				} else {
					u.Lease = &Lease{}
				}
			case e.Operation() == jetstream.KeyValuePut:
				var s NodeStatus
				if json.Unmarshal(e.Value(), &s) != nil {
					continue
				}
				u.Status = &s
			default:
				continue
			}
			select {
			case out <- u:
			case <-ctx.Done():
				return
			}
		}
	}
}

// Lease reads the shard's lease and its revision (0 if never written).
func (c *Control) Lease(ctx context.Context) (Lease, uint64, error) {
	e, err := c.kv.Get(ctx, c.leaseKey())
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Lease{}, 0, nil
	}
	if err != nil {
		return Lease{}, 0, err
	}
	var l Lease
	if err := json.Unmarshal(e.Value(), &l); err != nil {
		return Lease{}, 0, fmt.Errorf("bad lease value: %w", err)
	}
	return l, e.Revision(), nil
}

// EpochHeader carries the epoch of an epoch marker; MarkerNodeHeader the
// node that wrote it.
const (
	EpochHeader      = "Mnemo-Epoch"
	MarkerNodeHeader = "Mnemo-Node"
)

// AppendMarker appends a new primary's epoch marker: an empty batch that
// must follow sequence expectLast. Once it is in the log, the previous
// primary's next append is fenced out. It returns the marker's sequence.
func (st *Stream) AppendMarker(ctx context.Context, epoch uint64, node string, expectLast uint64) (uint64, error) {
	msg := &nats.Msg{Subject: st.subject, Data: NewBatchWriter().Bytes(), Header: nats.Header{}}
	msg.Header.Set(EpochHeader, strconv.FormatUint(epoch, 10))
	msg.Header.Set(MarkerNodeHeader, node)
	msg.Header.Set(jetstream.MsgIDHeader, "epoch-"+strconv.FormatUint(epoch, 10)+"-"+node)
	ack, err := st.js.PublishMsg(ctx, msg, jetstream.WithExpectLastSequence(expectLast), jetstream.WithExpectStream(st.name))
	if err != nil {
		if IsFenced(err) {
			return 0, fmt.Errorf("%w: %v", ErrFenced, err)
		}
		return 0, fmt.Errorf("cannot append the epoch marker: %w", err)
	}
	if ack.Duplicate {
		return 0, fmt.Errorf("epoch marker %d already in the log", epoch)
	}
	return ack.Sequence, nil
}
