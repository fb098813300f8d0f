package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/mnemo-dev/mnemo/engine/internal/retry"
)

// The control bucket (txlog.ControlBucket, MNEMO_CONTROL) holds, next to
// each shard's lease ("shard.<n>.lease") and node statuses
// ("shard.<n>.node.<id>") that the election writes, the cluster's slot
// map under ConfigKey, as JSON (Config).
const (
	Bucket    = "MNEMO_CONTROL"
	ConfigKey = "cluster.config"
)

// ErrConfigChanged is returned by a compare-and-set of the slot map whose
// revision no longer holds.
var ErrConfigChanged = errors.New("the cluster config changed since it was read")

// Store reads, changes and watches the cluster's records in the control
// bucket.
type Store struct {
	kv jetstream.KeyValue
}

// OpenStore opens (creating it if needed) the control bucket over nc,
// with the given number of replicas.
func OpenStore(ctx context.Context, nc *nats.Conn, replicas int) (*Store, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("cannot use JetStream: %w", err)
	}
	cfg := jetstream.KeyValueConfig{
		Bucket: Bucket, Description: "Mnemo shard leases and node status",
		History: 1, Storage: jetstream.FileStorage, Replicas: replicas,
	}
	var kv jetstream.KeyValue
	err = retry.Bounded(ctx, "cannot open the control bucket", func(ctx context.Context) (err error) {
		kv, err = js.KeyValue(ctx, Bucket)
		if errors.Is(err, jetstream.ErrBucketNotFound) {
			kv, err = js.CreateKeyValue(ctx, cfg)
			if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
				kv, err = js.KeyValue(ctx, Bucket)
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &Store{kv: kv}, nil
}

// Config reads the slot map and its revision; nil, 0 when none exists.
func (s *Store) Config(ctx context.Context) (*Config, uint64, error) {
	e, err := s.kv.Get(ctx, ConfigKey)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("cannot read the cluster config: %w", err)
	}
	var c Config
	if err := json.Unmarshal(e.Value(), &c); err != nil {
		return nil, 0, fmt.Errorf("bad cluster config: %w", err)
	}
	return &c, e.Revision(), nil
}

// PutConfig writes c if the slot map is still at revision rev (0: there
// is none yet) and returns the new revision, or ErrConfigChanged.
func (s *Store) PutConfig(ctx context.Context, c *Config, rev uint64) (uint64, error) {
	data, err := json.Marshal(c)
	if err != nil {
		return 0, err
	}
	var nrev uint64
	if rev == 0 {
		nrev, err = s.kv.Create(ctx, ConfigKey, data)
	} else {
		nrev, err = s.kv.Update(ctx, ConfigKey, data, rev)
	}
	if err != nil {
		var apiErr *jetstream.APIError
		if errors.Is(err, jetstream.ErrKeyExists) ||
			(errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence) {
			return 0, ErrConfigChanged
		}
		return 0, fmt.Errorf("cannot write the cluster config: %w", err)
	}
	return nrev, nil
}

// Bootstrap creates the slot map of a new cluster of n shards unless one
// exists, and returns the one in force.
func (s *Store) Bootstrap(ctx context.Context, n int) (*Config, uint64, error) {
	for attempt := 0; attempt < 10; attempt++ {
		c, rev, err := s.Config(ctx)
		if err != nil || c != nil {
			return c, rev, err
		}
		c = EvenConfig(n)
		rev, err = s.PutConfig(ctx, c, 0)
		if err == nil {
			return c, rev, nil
		}
		if !errors.Is(err, ErrConfigChanged) {
			return nil, 0, err
		}
	}
	return nil, 0, ErrConfigChanged
}

// Update is one change read from the bucket: the slot map, a shard's
// lease, or a node's status.
type Update struct {
	Config *Config
	Rev    uint64
	// Shard is the shard of a lease or status.
	Shard  int
	Lease  *leaseRecord
	Status *statusRecord
}

// leaseRecord and statusRecord read what txlog writes (txlog.Lease,
// txlog.NodeStatus); only the fields the topology needs.
type leaseRecord struct {
	Holder string `json:"holder"`
	Addr   string `json:"addr"`
	Epoch  uint64 `json:"epoch"`
}

type statusRecord struct {
	ID      string `json:"id"`
	Addr    string `json:"addr"`
	Role    string `json:"role"`
	Applied uint64 `json:"applied"`
}

// Apply records an update in v, seen at now.
func (v *View) Apply(u Update, now time.Time) {
	switch {
	case u.Config != nil:
		if u.Rev >= v.Rev {
			v.Config, v.Rev = u.Config, u.Rev
		}
	case u.Lease != nil:
		v.SetLease(u.Shard, u.Lease.Holder, u.Lease.Addr, u.Lease.Epoch)
	case u.Status != nil:
		v.SetNode(u.Shard, NodeInfo{ID: u.Status.ID, Addr: u.Status.Addr, Role: u.Status.Role, Applied: u.Status.Applied, Seen: now})
	}
}

// Watch sends every change to the bucket's cluster records, current
// values first, until ctx ends; a broken watch is started again.
func (s *Store) Watch(ctx context.Context, out chan<- Update) {
	for ctx.Err() == nil {
		w, err := s.kv.WatchAll(ctx)
		if err != nil {
			select {
			case <-ctx.Done():
				return
			case <-time.After(250 * time.Millisecond):
				continue
			}
		}
		s.pump(ctx, w, out)
		w.Stop()
	}
}

func (s *Store) pump(ctx context.Context, w jetstream.KeyWatcher, out chan<- Update) {
	for {
		var e jetstream.KeyValueEntry
		var ok bool
		select {
		case <-ctx.Done():
			return
		case e, ok = <-w.Updates():
			if !ok {
				return
			}
		}
		if e == nil {
			continue
		}
		u, ok := parseEntry(e)
		if !ok {
			continue
		}
		select {
		case out <- u:
		case <-ctx.Done():
			return
		}
	}
}

// parseEntry reads a bucket entry as an Update.
func parseEntry(e jetstream.KeyValueEntry) (Update, bool) {
	key := e.Key()
	put := e.Operation() == jetstream.KeyValuePut
	if key == ConfigKey {
		if !put {
			return Update{}, false
		}
		var c Config
		if json.Unmarshal(e.Value(), &c) != nil {
			return Update{}, false
		}
		return Update{Config: &c, Rev: e.Revision()}, true
	}
	rest, ok := strings.CutPrefix(key, "shard.")
	if !ok {
		return Update{}, false
	}
	num, what, ok := strings.Cut(rest, ".")
	n, err := strconv.Atoi(num)
	if !ok || err != nil {
		return Update{}, false
	}
	switch {
	case what == "lease":
		var l leaseRecord
		if put && json.Unmarshal(e.Value(), &l) != nil {
			return Update{}, false
		}
		return Update{Shard: n, Lease: &l, Rev: e.Revision()}, true
	case strings.HasPrefix(what, "node.") && put:
		var st statusRecord
		if json.Unmarshal(e.Value(), &st) != nil {
			return Update{}, false
		}
		return Update{Shard: n, Status: &st}, true
	}
	return Update{}, false
}
