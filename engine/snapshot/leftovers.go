package snapshot

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"
)

// Leftovers: a builder killed while it uploads (a Job evicted, a node
// lost) leaves bytes in the store that no snapshot owns. Neither store
// ever lists them as a snapshot (a snapshot is complete only with its
// manifest), but they take space until something removes them:
//
//   - an unfinished upload: JetStream object store chunks whose object
//     info was never written, or an S3 multipart upload never completed;
//   - a snapshot file without its manifest: the builder died between the
//     two;
//   - the marker Save stores while it uploads (<name>.upload), which
//     names the upload's key: MinIO lists unfinished uploads only by
//     their exact key, not by a prefix as S3 does.
//
// A build removes those older than a safe age (LeftoverAge by default):
// an upload still running stores a byte every few milliseconds, and a
// builder writes its manifest right after its file, so anything that old
// is dead. A complete snapshot is never touched: its file and manifest
// are both readable objects, and only unreadable bytes and files whose
// manifest is missing are leftovers.

// LeftoverAge is how long an unfinished upload or a snapshot file
// without its manifest must have been left alone before a build removes
// it.
const LeftoverAge = time.Hour

// Upload is an upload a store began and never completed.
type Upload struct {
	// Key is the blob the upload was for; "" when the store cannot tell
	// (JetStream's chunks carry no name).
	Key string
	// ID names the upload in its store.
	ID string
	// Last is when the upload last stored a byte.
	Last time.Time
	// Size is about how many bytes it holds.
	Size int64
}

// Leftover is something a killed builder left in the store.
type Leftover struct {
	// Kind is "upload" (an unfinished upload), "file" (a snapshot file
	// without its manifest) or "marker" (an upload's marker, cleaned
	// last: it is how the upload is found).
	Kind string
	// Name is the snapshot's name, or the upload's key or ID.
	Name string
	// Last is when it was last written to.
	Last time.Time
	Size int64

	upload *Upload
}

// markerSuffix ends the key of the marker Save stores while it uploads.
const markerSuffix = ".upload"

// Leftovers returns what killed builds left of shard's snapshots, and
// unfinished uploads the store cannot attribute to a shard: uploads,
// then files, then markers.
func (s *Store) Leftovers(ctx context.Context, shard int) ([]Leftover, error) {
	dir := s.dir(shard)
	keys, err := s.b.List(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("cannot list snapshot files: %w", err)
	}
	has := map[string]bool{}
	var markers []string
	for _, k := range keys {
		has[path.Base(k)] = true
		if name, ok := strings.CutSuffix(path.Base(k), markerSuffix); ok {
			markers = append(markers, name)
		}
	}
	// Uploads after the markers, files after the uploads: an upload that
	// completes meanwhile is then seen as neither, not as an upload and
	// a file.
	ups, err := s.b.Unfinished(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("cannot list unfinished uploads: %w", err)
	}
	seen := map[string]bool{}
	for _, u := range ups {
		seen[u.ID] = true
	}
	for _, name := range markers {
		more, err := s.b.Unfinished(ctx, dir+name+".snap")
		if err != nil {
			return nil, fmt.Errorf("cannot list unfinished uploads: %w", err)
		}
		for _, u := range more {
			if !seen[u.ID] {
				seen[u.ID] = true
				ups = append(ups, u)
			}
		}
	}
	var out []Leftover
	for _, u := range ups {
		name := u.Key
		if name == "" {
			name = u.ID
		}
		out = append(out, Leftover{Kind: "upload", Name: name, Last: u.Last, Size: u.Size, upload: &u})
	}
	names, err := s.Orphans(ctx, shard)
	if err != nil {
		return nil, fmt.Errorf("cannot list snapshot files: %w", err)
	}
	for _, name := range names {
		at, err := s.b.ModTime(ctx, dir+name+".snap")
		if errors.Is(err, ErrNotFound) {
			continue // removed since listed
		}
		if err != nil {
			return nil, err
		}
		out = append(out, Leftover{Kind: "file", Name: name, Last: at})
	}
	for _, name := range markers {
		at, err := s.b.ModTime(ctx, dir+name+markerSuffix)
		if errors.Is(err, ErrNotFound) {
			continue // the build completed since listed
		}
		if err != nil {
			return nil, err
		}
		out = append(out, Leftover{Kind: "marker", Name: name, Last: at})
	}
	return out, nil
}

// CleanLeftovers removes shard's leftovers last written before olderThan
// and returns them.
func (s *Store) CleanLeftovers(ctx context.Context, shard int, olderThan time.Time) ([]Leftover, error) {
	all, err := s.Leftovers(ctx, shard)
	if err != nil {
		return nil, err
	}
	var removed []Leftover
	for _, l := range all {
		if !l.Last.Before(olderThan) {
			continue
		}
		switch l.Kind {
		case "upload":
			err = s.b.Abort(ctx, *l.upload)
		case "file":
			err = s.removeOrphan(ctx, shard, l.Name)
		case "marker":
			err = s.b.Delete(ctx, s.dir(shard)+l.Name+markerSuffix)
		}
		if err != nil && !errors.Is(err, ErrNotFound) {
			return removed, fmt.Errorf("cannot remove leftover %s %s: %w", l.Kind, l.Name, err)
		}
		removed = append(removed, l)
	}
	return removed, nil
}

// removeOrphan deletes a snapshot file, unless its manifest appeared
// since it was listed: then it is a complete snapshot after all.
func (s *Store) removeOrphan(ctx context.Context, shard int, name string) error {
	if _, err := s.Get(ctx, shard, name); err == nil {
		return nil
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	return s.b.Delete(ctx, s.dir(shard)+name+".snap")
}

// String describes a leftover for logs and for `mnemo snapshot`.
func (l Leftover) String() string {
	var b strings.Builder
	b.WriteString(l.Kind + " " + path.Base(l.Name))
	if l.Size > 0 {
		fmt.Fprintf(&b, " (%d bytes)", l.Size)
	}
	fmt.Fprintf(&b, " last written %s", l.Last.UTC().Format(time.RFC3339))
	return b.String()
}
