package snapshot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Blobs is where a Store keeps its bytes: the JetStream object store or
// an S3 bucket. A blob that Put returned nil for is whole and readable; a
// Put that failed or never returned leaves no readable blob or one that
// the Store never lists (it lists manifests, written last).
type Blobs interface {
	Put(ctx context.Context, key string, r io.Reader) error
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// List returns the keys under prefix.
	List(ctx context.Context, prefix string) ([]string, error)
	Delete(ctx context.Context, key string) error
	// ModTime returns when the blob at key was stored.
	ModTime(ctx context.Context, key string) (time.Time, error)
	// Unfinished lists the uploads under prefix that began and never
	// completed (leftovers.go). Uploads the store cannot attribute to a
	// key (Upload.Key "") are listed for every prefix.
	Unfinished(ctx context.Context, prefix string) ([]Upload, error)
	// Abort removes what an unfinished upload stored.
	Abort(ctx context.Context, u Upload) error
}

// ErrNotFound is returned for a snapshot the store does not hold.
var ErrNotFound = errors.New("snapshot not found")

// Info is a complete snapshot as its store lists it: its manifest.
type Info struct {
	Name string `json:"name"`
	Meta Meta   `json:"meta"`
	Keys uint64 `json:"keys"`
	// Size and SHA256 are those of the whole file; Open checks them.
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// Completed is when the manifest was written.
	Completed time.Time `json:"completed"`
}

// Store keeps a cluster's snapshots, per shard:
//
//	<prefix>shard-<n>/<name>.snap   the snapshot file
//	<prefix>shard-<n>/<name>.json   its manifest (Info), written last
//	<prefix>shard-<n>/<name>.upload an empty marker, there while the file
//	                                uploads (leftovers.go)
//
// A snapshot is complete, and listed, only once its manifest exists; the
// manifest is written after the file's every byte is stored and counted,
// and deleted before the file. A builder killed at any point therefore
// leaves either a complete snapshot or an unlisted file.
type Store struct {
	b      Blobs
	prefix string
}

// NewStore returns a store keeping its blobs in b under prefix.
func NewStore(b Blobs, prefix string) *Store {
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return &Store{b: b, prefix: prefix}
}

func (s *Store) dir(shard int) string { return s.prefix + "shard-" + strconv.Itoa(shard) + "/" }

// ValidName reports whether name can name a snapshot.
func ValidName(name string) bool {
	if name == "" || len(name) > 200 {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return name[0] != '.'
}

// Save writes a snapshot of shard named name: write produces the file,
// which streams to the store as it is written (never held whole), then
// the manifest makes it complete.
func (s *Store) Save(ctx context.Context, shard int, name string, m Meta, write func(io.Writer) (Summary, error)) (Info, error) {
	if !ValidName(name) {
		return Info{}, fmt.Errorf("bad snapshot name %q: use letters, digits, '-', '_' and '.'", name)
	}
	// The marker names the upload for whoever must clean up after a
	// builder killed midway: some stores list unfinished uploads only by
	// their exact key (MinIO).
	if err := s.b.Put(ctx, s.dir(shard)+name+markerSuffix, strings.NewReader("")); err != nil {
		return Info{}, fmt.Errorf("cannot store snapshot %s: %w", name, err)
	}
	pr, pw := io.Pipe()
	cw := &countingWriter{w: pw, h: sha256.New()}
	var sum Summary
	werr := make(chan error, 1)
	go func() {
		var err error
		sum, err = write(cw)
		pw.CloseWithError(err)
		werr <- err
	}()
	err := s.b.Put(ctx, s.dir(shard)+name+".snap", pr)
	pr.CloseWithError(errors.New("store stopped reading"))
	if e := <-werr; e != nil {
		// Both stores remove what a failed upload stored.
		s.b.Delete(ctx, s.dir(shard)+name+markerSuffix)
		return Info{}, fmt.Errorf("cannot write snapshot %s: %w", name, e)
	}
	if err != nil {
		s.b.Delete(ctx, s.dir(shard)+name+markerSuffix)
		return Info{}, fmt.Errorf("cannot store snapshot %s: %w", name, err)
	}
	info := Info{Name: name, Meta: m, Keys: sum.Keys, Size: cw.n, SHA256: hex.EncodeToString(cw.h.Sum(nil)), Completed: time.Now().UTC()}
	js, _ := json.Marshal(info)
	if err := s.b.Put(ctx, s.dir(shard)+name+".json", strings.NewReader(string(js))); err != nil {
		return Info{}, fmt.Errorf("cannot store the manifest of snapshot %s: %w", name, err)
	}
	// The snapshot is complete: a marker left here is cleaned up later.
	s.b.Delete(ctx, s.dir(shard)+name+markerSuffix)
	return info, nil
}

// List returns shard's complete snapshots, oldest log sequence first.
func (s *Store) List(ctx context.Context, shard int) ([]Info, error) {
	keys, err := s.b.List(ctx, s.dir(shard))
	if err != nil {
		return nil, fmt.Errorf("cannot list snapshots: %w", err)
	}
	var out []Info
	for _, k := range keys {
		if !strings.HasSuffix(k, ".json") {
			continue
		}
		info, err := s.manifest(ctx, k)
		if errors.Is(err, ErrNotFound) {
			continue // deleted since listed
		}
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Meta.Seq != out[j].Meta.Seq {
			return out[i].Meta.Seq < out[j].Meta.Seq
		}
		return out[i].Completed.Before(out[j].Completed)
	})
	return out, nil
}

func (s *Store) manifest(ctx context.Context, key string) (Info, error) {
	rc, err := s.b.Get(ctx, key)
	if err != nil {
		return Info{}, err
	}
	defer rc.Close()
	js, err := io.ReadAll(io.LimitReader(rc, maxMeta))
	if err != nil {
		return Info{}, fmt.Errorf("cannot read manifest %s: %w", key, err)
	}
	var info Info
	if err := json.Unmarshal(js, &info); err != nil {
		return Info{}, fmt.Errorf("bad manifest %s: %w", key, err)
	}
	return info, nil
}

// Get returns the manifest of shard's snapshot name.
func (s *Store) Get(ctx context.Context, shard int, name string) (Info, error) {
	if !ValidName(name) {
		return Info{}, fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	return s.manifest(ctx, s.dir(shard)+name+".json")
}

// Newest returns shard's complete snapshot with the greatest sequence
// that satisfies ok (nil: any), and false when there is none.
func (s *Store) Newest(ctx context.Context, shard int, ok func(Info) bool) (Info, bool, error) {
	all, err := s.List(ctx, shard)
	if err != nil {
		return Info{}, false, err
	}
	for i := len(all) - 1; i >= 0; i-- {
		if ok == nil || ok(all[i]) {
			return all[i], true, nil
		}
	}
	return Info{}, false, nil
}

// Open returns a snapshot's file. Reading it to the end checks its size
// and SHA-256 against the manifest; the format's own checksums catch
// damage before that.
func (s *Store) Open(ctx context.Context, shard int, info Info) (io.ReadCloser, error) {
	rc, err := s.b.Get(ctx, s.dir(shard)+info.Name+".snap")
	if err != nil {
		return nil, err
	}
	return &verifyingReader{rc: rc, h: sha256.New(), want: info}, nil
}

// Delete removes a snapshot: the manifest first, so that it is never
// listed without its file.
func (s *Store) Delete(ctx context.Context, shard int, name string) error {
	if err := s.b.Delete(ctx, s.dir(shard)+name+".json"); err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("cannot delete snapshot %s: %w", name, err)
	}
	if err := s.b.Delete(ctx, s.dir(shard)+name+".snap"); err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("cannot delete snapshot %s: %w", name, err)
	}
	return nil
}

// Orphans returns the names of shard's snapshot files without a manifest:
// builds that died or are still running.
func (s *Store) Orphans(ctx context.Context, shard int) ([]string, error) {
	keys, err := s.b.List(ctx, s.dir(shard))
	if err != nil {
		return nil, err
	}
	has := map[string]bool{}
	for _, k := range keys {
		has[path.Base(k)] = true
	}
	var out []string
	for _, k := range keys {
		if name, ok := strings.CutSuffix(path.Base(k), ".snap"); ok && !has[name+".json"] {
			out = append(out, name)
		}
	}
	return out, nil
}

type countingWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	return n, err
}

// verifyingReader checks size and digest at EOF.
type verifyingReader struct {
	rc   io.ReadCloser
	h    hash.Hash
	n    int64
	want Info
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	n, err := v.rc.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if v.n > v.want.Size {
		return n, corrupt("snapshot %s is longer than its manifest says (%d bytes)", v.want.Name, v.want.Size)
	}
	if err == io.EOF {
		if v.n != v.want.Size || hex.EncodeToString(v.h.Sum(nil)) != v.want.SHA256 {
			return n, corrupt("snapshot %s does not match its manifest's size and SHA-256", v.want.Name)
		}
	}
	return n, err
}

func (v *verifyingReader) Close() error { return v.rc.Close() }

// Retention says which snapshots a shard keeps. The newest complete
// snapshot is always kept.
type Retention struct {
	// Count keeps the newest Count snapshots; 0 for no limit.
	Count int
	// Days keeps snapshots created less than Days days ago (0 to 35);
	// 0 for no age limit.
	Days int
}

// Validate checks the retention's bounds (MemoryDB's: at most 35 days).
func (r Retention) Validate() error {
	if r.Days < 0 || r.Days > 35 {
		return fmt.Errorf("retention days must be 0 to 35, not %d", r.Days)
	}
	if r.Count < 0 {
		return fmt.Errorf("retention count must not be negative")
	}
	return nil
}

// Expired returns the snapshots of all (oldest first) that r does not
// keep at now.
func (r Retention) Expired(all []Info, now time.Time) []Info {
	var out []Info
	for i, info := range all {
		if i == len(all)-1 {
			break // the newest stays
		}
		tooMany := r.Count > 0 && len(all)-i > r.Count
		taken := info.Meta.Created
		if taken.IsZero() {
			taken = info.Completed
		}
		tooOld := r.Days > 0 && now.Sub(taken) > time.Duration(r.Days)*24*time.Hour
		if tooMany || tooOld {
			out = append(out, info)
		}
	}
	return out
}

// Prune deletes shard's snapshots that r does not keep and returns the
// ones left, oldest first, and the names of those deleted.
func (s *Store) Prune(ctx context.Context, shard int, r Retention, now time.Time) (kept []Info, deleted []string, err error) {
	all, err := s.List(ctx, shard)
	if err != nil {
		return nil, nil, err
	}
	gone := map[string]bool{}
	for _, info := range r.Expired(all, now) {
		if err := s.Delete(ctx, shard, info.Name); err != nil {
			return nil, deleted, err
		}
		gone[info.Name] = true
		deleted = append(deleted, info.Name)
	}
	for _, info := range all {
		if !gone[info.Name] {
			kept = append(kept, info)
		}
	}
	return kept, deleted, nil
}
