package snapshot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/mnemo-dev/mnemo/engine/internal/retry"
)

// ObjectStoreBucket is the JetStream object store bucket that keeps a
// cluster's snapshots when no S3 bucket is configured.
const ObjectStoreBucket = "MNEMO_SNAPSHOTS"

// jsBlobs keeps blobs in a JetStream object store. An object becomes
// visible only when its last chunk and its info are stored, and a Put
// that fails purges its chunks.
type jsBlobs struct {
	obs jetstream.ObjectStore
	// stream is the object store's underlying stream, where the chunks
	// of unfinished uploads are found (leftovers.go).
	stream jetstream.Stream
}

// OpenJetStream returns the snapshot store in the log's object store,
// creating the bucket with the given replica count if it does not exist.
func OpenJetStream(ctx context.Context, nc *nats.Conn, replicas int) (*Store, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("cannot use JetStream: %w", err)
	}
	// Each attempt is bounded: on a log cluster still electing its meta
	// leader a request can wait for its whole context, and several nodes
	// starting together race to create the bucket; whoever loses finds
	// it on the next attempt.
	var obs jetstream.ObjectStore
	var stream jetstream.Stream
	err = retry.Bounded(ctx, "cannot open the snapshot object store", func(ctx context.Context) (err error) {
		obs, err = js.ObjectStore(ctx, ObjectStoreBucket)
		if errors.Is(err, jetstream.ErrBucketNotFound) {
			obs, err = js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{
				Bucket:      ObjectStoreBucket,
				Description: "Mnemo snapshots",
				Storage:     jetstream.FileStorage,
				Replicas:    replicas,
				Compression: false,
			})
		}
		if err == nil {
			stream, err = js.Stream(ctx, "OBJ_"+ObjectStoreBucket)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return NewStore(&jsBlobs{obs: obs, stream: stream}, ""), nil
}

func (b *jsBlobs) Put(ctx context.Context, key string, r io.Reader) error {
	_, err := b.obs.Put(ctx, jetstream.ObjectMeta{Name: key}, r)
	return err
}

// Reading an object must finish before a deadline: nats.go makes the
// context's deadline the deadline of every read, and gives a context
// without one its default timeout (5 s), which a large snapshot's load
// outlasts (seen: a 48 MB snapshot loading under CPU pressure failed with
// "read pipe: i/o timeout"). Get sets a deadline from the object's size,
// as if it were read at no less than minReadRate, plus readSlack.
const (
	minReadRate = 1 << 20 // bytes per second
	readSlack   = time.Minute
)

func (b *jsBlobs) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	info, err := b.obs.GetInfo(ctx, key)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return nil, err
	}
	limit := readSlack + time.Duration(info.Size/minReadRate)*time.Second
	rctx, cancel := context.WithTimeout(ctx, limit)
	rc, err := b.obs.Get(rctx, key)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		cancel()
		return nil, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		cancel()
		return nil, err
	}
	return &cancelOnClose{ReadCloser: rc, cancel: cancel}, nil
}

// cancelOnClose ends a read's context when the reader is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

func (b *jsBlobs) List(ctx context.Context, prefix string) ([]string, error) {
	infos, err := b.list(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, i := range infos {
		if strings.HasPrefix(i.Name, prefix) && !i.Deleted {
			out = append(out, i.Name)
		}
	}
	return out, nil
}

// list lists the bucket's objects. An empty bucket answers from its
// status: nats.go's List waits for a first entry that never comes while a
// freshly created replicated bucket settles (seen: a minute, on three
// nodes starting together). Each attempt is bounded and retried.
func (b *jsBlobs) list(ctx context.Context) ([]*jetstream.ObjectInfo, error) {
	var infos []*jetstream.ObjectInfo
	err := retry.Bounded(ctx, "cannot list the snapshot object store", func(ctx context.Context) error {
		st, err := b.obs.Status(ctx)
		if err != nil {
			return err
		}
		if st.Size() == 0 {
			infos = nil
			return nil
		}
		infos, err = b.obs.List(ctx)
		if errors.Is(err, jetstream.ErrNoObjectsFound) {
			infos, err = nil, nil
		}
		return err
	})
	return infos, err
}

func (b *jsBlobs) Delete(ctx context.Context, key string) error {
	err := b.obs.Delete(ctx, key)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	return err
}

func (b *jsBlobs) ModTime(ctx context.Context, key string) (time.Time, error) {
	info, err := b.obs.GetInfo(ctx, key)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return time.Time{}, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return time.Time{}, err
	}
	return info.ModTime, nil
}

// chunkPrefix is the subject prefix of the bucket's chunks: an object's
// chunks go to <chunkPrefix><its NUID>, and its info, written after the
// last chunk, names that NUID.
const chunkPrefix = "$O." + ObjectStoreBucket + ".C."

// Unfinished returns the chunk subjects no object's info names: uploads
// that never wrote their info. Their names are unknown (an object's name
// is in its info only), so they are listed whatever the prefix.
func (b *jsBlobs) Unfinished(ctx context.Context, _ string) ([]Upload, error) {
	// Chunks first, then objects: an upload that completes in between is
	// then named by an object listed after it, never taken for a leftover.
	si, err := b.stream.Info(ctx, jetstream.WithSubjectFilter(chunkPrefix+">"))
	if err != nil {
		return nil, err
	}
	if len(si.State.Subjects) == 0 {
		return nil, nil
	}
	infos, err := b.list(ctx)
	if err != nil {
		return nil, err
	}
	owned := map[string]bool{}
	for _, i := range infos {
		owned[i.NUID] = true
	}
	var out []Upload
	for subj, n := range si.State.Subjects {
		nuid := strings.TrimPrefix(subj, chunkPrefix)
		if owned[nuid] {
			continue
		}
		last, err := b.stream.GetLastMsgForSubject(ctx, subj)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue // purged since listed
		}
		if err != nil {
			return nil, err
		}
		out = append(out, Upload{ID: nuid, Last: last.Time, Size: int64(n) * int64(len(last.Data))})
	}
	return out, nil
}

func (b *jsBlobs) Abort(ctx context.Context, u Upload) error {
	return b.stream.Purge(ctx, jetstream.WithPurgeSubject(chunkPrefix+u.ID))
}
