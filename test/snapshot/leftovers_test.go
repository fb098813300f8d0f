//go:build linux

package snapshot

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/mnemo-dev/mnemo/engine/keyspace"
	"github.com/mnemo-dev/mnemo/engine/snapshot"
	"github.com/mnemo-dev/mnemo/engine/snapshot/build"
	"github.com/mnemo-dev/mnemo/engine/txlog"
)

// hangEnv makes the test binary an uploader that stops midway (see
// TestMain): "jetstream <log URL>" or "s3 <endpoint>". It stores 20 MB of
// a snapshot (more than one S3 part, many JetStream chunks), says
// "hanging" and waits to be killed.
const hangEnv = "MNEMO_SNAPTEST_HANG"

func runHungUpload(spec string) int {
	ctx := context.Background()
	kind, where, _ := strings.Cut(spec, " ")
	var store *snapshot.Store
	var err error
	switch kind {
	case "jetstream":
		nc, derr := txlog.Dial(where, "snaptest-hung", 10*time.Second)
		if derr != nil {
			fmt.Fprintln(os.Stderr, derr)
			return 1
		}
		store, err = snapshot.OpenJetStream(ctx, nc, 1)
	case "s3":
		store, err = openTestS3(ctx, where)
	}
	if err != nil || store == nil {
		fmt.Fprintln(os.Stderr, "cannot open the store:", spec, err)
		return 1
	}
	store.Save(ctx, 0, "hung", snapshot.Meta{}, func(w io.Writer) (snapshot.Summary, error) {
		if _, err := w.Write(make([]byte, 20<<20)); err != nil {
			return snapshot.Summary{}, err
		}
		// The chunks written are on their way: give them time to land.
		time.Sleep(2 * time.Second)
		fmt.Println("hanging")
		select {}
	})
	return 1
}

func openTestS3(ctx context.Context, endpoint string) (*snapshot.Store, error) {
	return snapshot.OpenS3(ctx, snapshot.S3Config{Endpoint: endpoint, Bucket: "snapshots", Prefix: "clusters/test",
		AccessKey: minioUser, SecretKey: minioPassword, Insecure: true})
}

// TestLeftoversOfKilledUploads kills builders midway through an upload
// and between a snapshot's file and its manifest, in both stores: the
// leftovers are listed, a build soon after leaves them (a running upload
// looks the same while young), a build once they are older than the safe
// age removes them all, and every complete snapshot stays whole.
func TestLeftoversOfKilledUploads(t *testing.T) {
	t.Run("jetstream", func(t *testing.T) {
		env := startLog(t, t.TempDir())
		nc, err := txlog.Dial(env.url, "snaptest-raw", 10*time.Second)
		must(t, err)
		t.Cleanup(nc.Close)
		js, err := jetstream.New(nc)
		must(t, err)
		obs, err := js.ObjectStore(context.Background(), snapshot.ObjectStoreBucket)
		must(t, err)
		checkLeftovers(t, env, "jetstream "+env.url, func(key string) error {
			return obs.Delete(context.Background(), key)
		})
	})
	t.Run("s3", func(t *testing.T) {
		ctx := context.Background()
		endpoint := startMinio(t)
		mc, err := minio.New(endpoint, &minio.Options{Creds: credentials.NewStaticV4(minioUser, minioPassword, "")})
		must(t, err)
		must(t, mc.MakeBucket(ctx, "snapshots", minio.MakeBucketOptions{}))
		env := startLog(t, t.TempDir())
		env.store, err = openTestS3(ctx, endpoint)
		must(t, err)
		checkLeftovers(t, env, "s3 "+endpoint, func(key string) error {
			return mc.RemoveObject(ctx, "snapshots", "clusters/test/"+key, minio.RemoveObjectOptions{})
		})
		// What S3 itself says: no multipart upload is left.
		for u := range mc.ListIncompleteUploads(ctx, "snapshots", "", true) {
			t.Errorf("S3 still holds an unfinished upload: %+v", u)
		}
	})
}

// checkLeftovers runs the test on env's store; hang is the uploader's
// spec, remove deletes a blob by its key in the store.
func checkLeftovers(t *testing.T, env *logEnv, hang string, remove func(key string) error) {
	ctx := context.Background()
	n := startNode(t, env, true)
	writeAllTypes(t, n.c, "a", 2000)
	first, err := build.Build(ctx, build.Config{Stream: env.st, Store: env.store})
	must(t, err)

	// A builder dead between its file and its manifest.
	writeAllTypes(t, n.c, "b", 200)
	_, err = build.Build(ctx, build.Config{Stream: env.st, Store: env.store, Name: "manifestless"})
	must(t, err)
	must(t, remove("shard-0/manifestless.json"))

	// A builder dead in the middle of its upload: our own child, killed
	// by its PID.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), hangEnv+"="+hang)
	out, err := cmd.StdoutPipe()
	must(t, err)
	cmd.Stderr = os.Stderr
	must(t, cmd.Start())
	line, _ := bufio.NewReader(out).ReadString('\n')
	must(t, cmd.Process.Kill())
	cmd.Wait()
	if line != "hanging\n" {
		t.Fatalf("the uploader said %q, not that it hangs midway", line)
	}

	kinds := func(ls []snapshot.Leftover) string {
		var ks []string
		for _, l := range ls {
			ks = append(ks, l.Kind)
		}
		return strings.Join(ks, ",")
	}
	left, err := env.store.Leftovers(ctx, 0)
	must(t, err)
	t.Logf("leftovers: %v", left)
	if k := kinds(left); k != "upload,file,marker" {
		t.Fatalf("leftovers are %q, want an unfinished upload, a file without manifest and the upload's marker", k)
	}

	// A build now: the leftovers are too young to tell from a running
	// upload, and stay.
	writeAllTypes(t, n.c, "c", 200)
	soon, err := build.Build(ctx, build.Config{Stream: env.st, Store: env.store})
	must(t, err)
	if len(soon.Leftovers) != 0 {
		t.Errorf("a build right after removed young leftovers %v", soon.Leftovers)
	}
	if again, err := env.store.Leftovers(ctx, 0); err != nil || len(again) != 3 {
		t.Errorf("after a build right after: leftovers %v (%v), want all three kept", again, err)
	}

	// A build past the safe age removes both, and nothing else.
	later := func() time.Time { return time.Now().Add(snapshot.LeftoverAge + time.Minute) }
	writeAllTypes(t, n.c, "d", 200)
	late, err := build.Build(ctx, build.Config{Stream: env.st, Store: env.store, Now: later})
	must(t, err)
	if k := kinds(late.Leftovers); k != "upload,file,marker" {
		t.Errorf("a build past the safe age removed %q (%v), want the upload, the file and the marker", k, late.Leftovers)
	}
	if again, err := env.store.Leftovers(ctx, 0); err != nil || len(again) != 0 {
		t.Errorf("after a build past the safe age: leftovers %v (%v)", again, err)
	}
	all, err := env.store.List(ctx, 0)
	must(t, err)
	var names []string
	for _, info := range all {
		names = append(names, info.Name)
		rc, err := env.store.Open(ctx, 0, info)
		must(t, err)
		if _, err := snapshot.Load(rc, keyspace.New(), limits); err != nil {
			t.Errorf("complete snapshot %s does not load after the cleanup: %v", info.Name, err)
		}
		rc.Close()
	}
	if want := []string{first.Info.Name, soon.Info.Name, late.Info.Name}; strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("complete snapshots %v, want %v", names, want)
	}
	want := state(t, n.c)
	n.stop()
	sameState(t, want, state(t, startNode(t, env, true).c))
}
