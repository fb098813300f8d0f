package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/mnemo-dev/mnemo/engine/command"
	"github.com/mnemo-dev/mnemo/engine/config"
	"github.com/mnemo-dev/mnemo/engine/keyspace"
	"github.com/mnemo-dev/mnemo/engine/snapshot"
	"github.com/mnemo-dev/mnemo/engine/snapshot/build"
	"github.com/mnemo-dev/mnemo/engine/txlog"
)

// storeFlags choose the snapshot store; every role that reads or writes
// snapshots takes them. S3 credentials come from the environment
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN: a
// Kubernetes Secret mapped to env) or the node's IAM role.
var storeFlags = []roleFlag{
	{"snapshot-store", "jetstream|s3", "where snapshots are kept: the log's JetStream object store, or an S3-compatible bucket", "jetstream"},
	{"s3-endpoint", "HOST[:PORT]", "the S3 endpoint (s3.amazonaws.com, minio.example:9000)", ""},
	{"s3-bucket", "NAME", "the bucket (it must exist)", ""},
	{"s3-prefix", "PREFIX", "a key prefix, so clusters can share a bucket", ""},
	{"s3-region", "REGION", "the bucket's region", ""},
	{"s3-insecure", "yes|no", "use http, not https", "no"},
}

var snapshotFlags = append([]roleFlag{
	{"log", "URLS", "the transactional log: nats://host:port of the log servers, comma-separated (required)", ""},
	{"shard", "N", "the shard whose snapshot to build", "0"},
	{"name", "NAME", "the snapshot's name (letters, digits, '-', '_', '.'); default: its time and sequence", ""},
	{"to-seq", "N", "replay the log up to this sequence only", ""},
	{"to-time", "TIME", "replay the log up to this time only (RFC 3339, or Unix ms): a point-in-time snapshot", ""},
	{"retain-count", "N", "keep the newest N snapshots (0: no count limit)", "0"},
	{"retain-days", "D", "keep snapshots younger than D days, 0 to 35 (0: no age limit)", "1"},
	{"trim", "yes|no", "apply retention and trim the log below the oldest snapshot kept (default yes, no with --to-seq/--to-time)", ""},
	{"log-replicas", "R", "replicas of the snapshot object store when this creates it", "3"},
	{"leftover-age", "DURATION", "remove unfinished uploads and snapshot files without a manifest (left by builds killed midway) once untouched this long; 0 leaves them", "1h"},
	{"out", "FILE", "write the snapshot to FILE instead of the store (no retention, no trimming)", ""},
	{"format", "mnemo|rdb", "the format of --out: Mnemo's snapshot, or a Redis RDB file redis-server 7.0 loads", "mnemo"},
	{"list", "yes|no", "print the shard's complete snapshots (JSON, one a line) and exit", "no"},
}, storeFlags...)

// Flags the engine roles add for snapshots: node start from snapshot,
// restore, and (local) snapshots on a schedule.
var (
	restoreFlags = []roleFlag{
		{"restore-from", "SOURCES", "seed an empty cluster from snapshots: comma-separated files (Mnemo snapshots or Redis RDB files) or snapshot names in the store ([SHARD/]NAME); keys outside --restore-slots are left out, so a restore may change the shard count", ""},
		{"restore-slots", "RANGES", "the slots this shard serves, as 0-5460,5461-10922 (default all)", ""},
		{"restore-log", "URLS", "the log whose JetStream object store holds the --restore-from snapshots, when it is another cluster's (default: this node's own snapshot store)", ""},
	}
	localSnapshotFlags = []roleFlag{
		{"snapshot-interval", "DURATION", "build a snapshot this often (0 for only on BGSAVE/SAVE)", "1h"},
		{"snapshot-retain-count", "N", "snapshots to keep; the log is trimmed below the oldest", "2"},
	}
)

func init() {
	localFlags = append(append(append(localFlags, restoreFlags...), localSnapshotFlags...), storeFlags...)
	nodeFlags = append(append(nodeFlags, restoreFlags...), storeFlags...)
	for i := range subcommands {
		if subcommands[i].name == "snapshot" {
			subcommands[i].run = runSnapshot
		}
	}
}

func runSnapshot(args []string, stdout, stderr io.Writer) int {
	for _, a := range args {
		if a == "--help" || a == "-h" {
			snapshotUsage(stdout)
			return 0
		}
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "mnemo snapshot: %s\n", fmt.Sprintf(format, a...))
		return 2
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "mnemo snapshot: %s\n", fmt.Sprintf(format, a...))
		return 1
	}
	vals, rest, err := splitRoleFlags(snapshotFlags, args)
	if err != nil {
		return usage("%v", err)
	}
	cfg := config.New()
	if err := cfg.ParseArgs(rest); err != nil {
		return usage("%v", err)
	}
	if vals["log"] == "" {
		return usage("--log is required")
	}
	shard, err := strconv.Atoi(vals["shard"])
	if err != nil || shard < 0 {
		return usage("--shard must be a shard number")
	}
	replicas, err := strconv.Atoi(vals["log-replicas"])
	if err != nil || replicas < 1 || replicas > 5 {
		return usage("--log-replicas must be 1 to 5")
	}
	bc := build.Config{Shard: shard, Name: vals["name"], Engine: cfg}
	if bc.Name != "" && !snapshot.ValidName(bc.Name) {
		return usage("--name: use letters, digits, '-', '_' and '.'")
	}
	if v := vals["to-seq"]; v != "" {
		if bc.ToSeq, err = strconv.ParseUint(v, 10, 64); err != nil || bc.ToSeq == 0 {
			return usage("--to-seq must be a log sequence")
		}
	}
	if v := vals["to-time"]; v != "" {
		if bc.ToTime, err = parseTime(v); err != nil {
			return usage("--to-time: %v", err)
		}
	}
	if bc.Retention.Count, err = strconv.Atoi(vals["retain-count"]); err != nil {
		return usage("--retain-count must be a number")
	}
	if bc.Retention.Days, err = strconv.Atoi(vals["retain-days"]); err != nil {
		return usage("--retain-days must be a number")
	}
	if err := bc.Retention.Validate(); err != nil {
		return usage("%v", err)
	}
	switch vals["trim"] {
	case "":
		bc.Trim = bc.ToSeq == 0 && bc.ToTime.IsZero()
	case "yes", "no":
		bc.Trim = vals["trim"] == "yes"
	default:
		return usage("--trim takes yes or no")
	}
	if bc.LeftoverAge, err = time.ParseDuration(vals["leftover-age"]); err != nil || bc.LeftoverAge < 0 {
		return usage("--leftover-age must be a duration (1h, 30m, 0)")
	}
	if bc.LeftoverAge == 0 {
		bc.LeftoverAge = -1
	}
	if f := vals["format"]; f != "mnemo" && f != "rdb" {
		return usage("--format takes mnemo or rdb")
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	bc.Log = log
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	nc, err := txlog.Dial(vals["log"], "mnemo-snapshot", time.Minute)
	if err != nil {
		return fail("%v", err)
	}
	defer nc.Close()
	octx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if bc.Stream, err = txlog.OpenStream(octx, nc, shard, replicas); err != nil {
		return fail("%v", err)
	}
	if bc.Store, err = openSnapshotStore(octx, vals, nc, replicas); err != nil {
		return fail("%v", err)
	}
	if vals["list"] == "yes" {
		all, err := bc.Store.List(ctx, shard)
		if err != nil {
			return fail("%v", err)
		}
		enc := json.NewEncoder(stdout)
		for _, i := range all {
			enc.Encode(i)
		}
		return 0
	}
	if out := vals["out"]; out != "" {
		return exportSnapshot(ctx, bc, out, vals["format"], stdout, stderr)
	}
	res, err := build.Build(ctx, bc)
	if err != nil {
		return fail("%v", err)
	}
	fmt.Fprintf(stdout, "snapshot %s: shard %d, seq %d, %d keys, %d bytes, from %q + %d log entries, in %s\n",
		res.Info.Name, shard, res.Info.Meta.Seq, res.Info.Keys, res.Info.Size, res.Base, res.Replayed, res.Took.Round(time.Millisecond))
	if res.TrimmedBelow > 0 {
		fmt.Fprintf(stdout, "log trimmed below %d; deleted snapshots: %s\n", res.TrimmedBelow, strings.Join(res.Deleted, " "))
	}
	for _, l := range res.Leftovers {
		fmt.Fprintf(stdout, "removed leftover %s\n", l)
	}
	return 0
}

// exportSnapshot builds into a file, a snapshot or an RDB file, which
// appears under its name only once complete.
func exportSnapshot(ctx context.Context, bc build.Config, out, format string, stdout, stderr io.Writer) int {
	f, err := os.CreateTemp(filepath.Dir(out), ".mnemo-export-*")
	if err != nil {
		fmt.Fprintf(stderr, "mnemo snapshot: %v\n", err)
		return 1
	}
	defer os.Remove(f.Name())
	w := bufio.NewWriterSize(f, 1<<20)
	bc.Output, bc.Format = w, format
	res, err := build.Build(ctx, bc)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), out)
	}
	if err != nil {
		fmt.Fprintf(stderr, "mnemo snapshot: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "wrote %s (%s): shard %d, seq %d, %d keys\n", out, format, bc.Shard, res.Info.Meta.Seq, res.Info.Keys)
	return 0
}

func parseTime(v string) (time.Time, error) {
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.UnixMilli(ms), nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither RFC 3339 nor Unix milliseconds", v)
	}
	return t, nil
}

func snapshotUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: mnemo snapshot --log URLS --shard N [--name NAME] [--to-seq N | --to-time T] [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Builds a snapshot of a shard off the data path: loads the newest snapshot, replays")
	fmt.Fprintln(w, "the log after it, writes the new snapshot to the snapshot store, applies retention")
	fmt.Fprintln(w, "and trims the log below the oldest snapshot kept, then exits. The primary never")
	fmt.Fprintln(w, "forks or pauses. Engine parameters (--hash-max-listpack-entries N ...) set the\n"+
		"encodings it writes.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Flags:")
	for _, f := range snapshotFlags {
		def := ""
		if f.def != "" {
			def = " (default " + f.def + ")"
		}
		fmt.Fprintf(w, "  --%-28s %s%s\n", f.name+" "+f.arg, f.help, def)
	}
}

// openSnapshotStore opens the store the flags choose.
func openSnapshotStore(ctx context.Context, vals map[string]string, nc *nats.Conn, replicas int) (*snapshot.Store, error) {
	switch vals["snapshot-store"] {
	case "", "jetstream":
		return snapshot.OpenJetStream(ctx, nc, replicas)
	case "s3":
		if vals["s3-endpoint"] == "" || vals["s3-bucket"] == "" {
			return nil, errors.New("--snapshot-store s3 needs --s3-endpoint and --s3-bucket")
		}
		return snapshot.OpenS3(ctx, snapshot.S3Config{
			Endpoint: vals["s3-endpoint"], Bucket: vals["s3-bucket"], Prefix: vals["s3-prefix"],
			Region: vals["s3-region"], Insecure: vals["s3-insecure"] == "yes",
			AccessKey: os.Getenv("AWS_ACCESS_KEY_ID"), SecretKey: os.Getenv("AWS_SECRET_ACCESS_KEY"),
			SessionToken: os.Getenv("AWS_SESSION_TOKEN"),
		})
	}
	return nil, fmt.Errorf("--snapshot-store takes jetstream or s3, not %q", vals["snapshot-store"])
}

// setupSnapshots prepares an engine role's snapshots: the store, a seed
// from --restore-from when the cluster is new, and for local the builder
// behind BGSAVE, SAVE and the schedule. It returns the source of the
// newest snapshot, which AttachLog loads before replaying the tail.
func setupSnapshots(ctx context.Context, role string, vals map[string]string, cfg *config.Config, e *command.Engine,
	st *txlog.Stream, nc *nats.Conn, shard, replicas int, log *slog.Logger) (command.SnapshotSource, error) {
	octx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	store, err := openSnapshotStore(octx, vals, nc, replicas)
	if err != nil {
		return nil, err
	}
	if src := vals["restore-from"]; src != "" {
		slots, err := parseSlotRanges(vals["restore-slots"])
		if err != nil {
			return nil, fmt.Errorf("--restore-slots: %w", err)
		}
		rc := build.RestoreConfig{Sources: strings.Split(src, ","), Slots: slots,
			Store: store, Stream: st, Shard: shard, Engine: cfg, Log: log}
		if urls := vals["restore-log"]; urls != "" {
			rc.SourceStore = func(ctx context.Context) (*snapshot.Store, func(), error) {
				ctx, cancel := context.WithTimeout(ctx, time.Minute)
				defer cancel()
				return openRestoreLog(ctx, urls, replicas)
			}
		}
		// No deadline on the restore as a whole: a large snapshot takes
		// what it takes, and each read and write on the way has its own
		// bound (a dead source log fails the opening within a minute).
		if _, err := build.Restore(ctx, rc); err != nil {
			return nil, err
		}
	}
	newest, ok, err := store.Newest(octx, shard, nil)
	if err != nil {
		return nil, err
	}
	if role == "local" {
		interval, err := time.ParseDuration(vals["snapshot-interval"])
		if err != nil || interval < 0 {
			return nil, errors.New("--snapshot-interval must be a duration (1h, 10m, 0)")
		}
		keep, err := strconv.Atoi(vals["snapshot-retain-count"])
		if err != nil || keep < 1 {
			return nil, errors.New("--snapshot-retain-count must be at least 1")
		}
		saver := func(ctx context.Context) (time.Time, error) {
			res, err := build.Build(ctx, build.Config{Stream: st, Store: store, Shard: shard, Engine: cfg,
				Retention: snapshot.Retention{Count: keep}, Trim: true, Log: log})
			return res.Info.Completed, err
		}
		var last time.Time
		if ok {
			last = newest.Completed
		}
		e.SetSaver(ctx, saver, last)
		if interval > 0 {
			go func() {
				t := time.NewTicker(interval)
				defer t.Stop()
				for {
					select {
					case <-ctx.Done():
						return
					case <-t.C:
						e.BackgroundSave()
					}
				}
			}()
		}
	}
	return func(ctx context.Context) (io.ReadCloser, error) {
		info, ok, err := store.Newest(ctx, shard, nil)
		if err != nil || !ok {
			return nil, err
		}
		return store.Open(ctx, shard, info)
	}, nil
}

// openRestoreLog opens the snapshot store of another cluster's log, which
// a new cluster restores from: the snapshots a Kubernetes Snapshot builds
// stay in the log of the Cluster they were taken of.
func openRestoreLog(ctx context.Context, urls string, replicas int) (*snapshot.Store, func(), error) {
	nc, err := txlog.Dial(urls, "mnemo-restore", time.Minute)
	if err != nil {
		return nil, nil, fmt.Errorf("--restore-log: %w", err)
	}
	store, err := snapshot.OpenJetStream(ctx, nc, replicas)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("--restore-log %s: %w", urls, err)
	}
	return store, nc.Close, nil
}

// parseSlotRanges reads "0-5460,5461-10922"; "" is every slot.
func parseSlotRanges(s string) ([]snapshot.SlotRange, error) {
	if s == "" {
		return snapshot.AllSlots, nil
	}
	var out []snapshot.SlotRange
	for _, part := range strings.Split(s, ",") {
		a, b, found := strings.Cut(part, "-")
		if !found {
			b = a
		}
		lo, err1 := strconv.Atoi(a)
		hi, err2 := strconv.Atoi(b)
		if err1 != nil || err2 != nil || lo < 0 || hi < lo || hi >= keyspace.NumSlots {
			return nil, fmt.Errorf("bad slot range %q", part)
		}
		out = append(out, snapshot.SlotRange{Start: lo, End: hi})
	}
	return out, nil
}
