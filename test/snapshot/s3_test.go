package snapshot

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/mnemo-dev/mnemo/engine/snapshot"
	"github.com/mnemo-dev/mnemo/engine/snapshot/build"
)

const minioUser, minioPassword = "mnemo-test", "mnemo-test-secret"

// minioBinary returns the MinIO server hack/minio pins, built by `make
// tools` into bin/tools/minio-<version>.
func minioBinary(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	must(t, err)
	f, err := os.Open(filepath.Join(root, "hack/minio/go.mod"))
	must(t, err)
	defer f.Close()
	version := ""
	for sc := bufio.NewScanner(f); sc.Scan(); {
		if fs := strings.Fields(sc.Text()); len(fs) >= 2 && fs[0] == "github.com/minio/minio" {
			version = fs[1]
		}
	}
	bin := filepath.Join(root, "bin/tools/minio-"+version)
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("%s is not built: run make tools (MinIO builds from the module proxy)", bin)
	}
	return bin
}

// startMinio starts a MinIO server of this test's own on a random
// loopback port and returns its endpoint; it is stopped by its PID.
func startMinio(t *testing.T) string {
	t.Helper()
	bin := minioBinary(t)
	for range 10 {
		// Ports below the kernel's ephemeral range (32768 and up).
		port := 20000 + rand.IntN(12768)
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		console := net.JoinHostPort("127.0.0.1", strconv.Itoa(20000+rand.IntN(12768)))
		cmd := exec.Command(bin, "server", t.TempDir(), "--address", addr, "--console-address", console, "--quiet")
		cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+minioUser, "MINIO_ROOT_PASSWORD="+minioPassword,
			"MINIO_BROWSER=off", "MINIO_UPDATE=off")
		var logb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &logb, &logb
		must(t, cmd.Start())
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		up := false
		for i := 0; i < 200 && !up; i++ {
			select {
			case <-exited:
				i = 200
				continue
			case <-time.After(50 * time.Millisecond):
			}
			resp, err := http.Get("http://" + addr + "/minio/health/live")
			if err == nil {
				resp.Body.Close()
				up = resp.StatusCode == http.StatusOK
			}
		}
		if !up {
			cmd.Process.Signal(syscall.SIGTERM)
			<-exited
			if strings.Contains(logb.String(), "address already in use") {
				continue
			}
			t.Fatalf("MinIO did not start on %s:\n%s", addr, logb.String())
		}
		t.Cleanup(func() {
			cmd.Process.Signal(syscall.SIGTERM) // our own server, by PID
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				<-exited
			}
		})
		return addr
	}
	t.Fatal("no free port for MinIO after 10 attempts")
	return ""
}

// TestS3Store runs the snapshot store on a real MinIO: builds into S3,
// listing, a node starting from S3, retention by count and by age, and
// deletion; an upload cut short is never listed.
func TestS3Store(t *testing.T) {
	ctx := context.Background()
	endpoint := startMinio(t)
	mc, err := minio.New(endpoint, &minio.Options{Creds: credentials.NewStaticV4(minioUser, minioPassword, "")})
	must(t, err)
	must(t, mc.MakeBucket(ctx, "snapshots", minio.MakeBucketOptions{}))
	store, err := snapshot.OpenS3(ctx, snapshot.S3Config{Endpoint: endpoint, Bucket: "snapshots", Prefix: "clusters/test",
		AccessKey: minioUser, SecretKey: minioPassword, Insecure: true})
	must(t, err)

	env := startLog(t, t.TempDir())
	env.store = store // the node and the builder use S3
	n := startNode(t, env, true)
	var names []string
	clock := time.Now()
	for round := range 4 {
		writeAllTypes(t, n.c, "r"+strconv.Itoa(round), 300)
		r, err := build.Build(ctx, build.Config{Stream: env.st, Store: store, Now: func() time.Time { return clock }})
		must(t, err)
		names = append(names, r.Info.Name)
		clock = clock.Add(24 * time.Hour) // a snapshot a day
	}
	all, err := store.List(ctx, 0)
	must(t, err)
	if len(all) != 4 {
		t.Fatalf("listed %d snapshots, want 4", len(all))
	}
	for i, info := range all {
		if info.Name != names[i] || info.Size == 0 || info.SHA256 == "" {
			t.Errorf("snapshot %d: %+v, want %s", i, info, names[i])
		}
	}
	// A node restarts from the newest snapshot in S3 and the log's tail.
	writeAllTypes(t, n.c, "tail", 200)
	want := state(t, n.c)
	n.stop()
	n2 := startNode(t, env, true)
	sameState(t, want, state(t, n2.c))

	// An upload that fails midway (20 MB sent, more than a part) leaves
	// nothing listed and nothing readable.
	_, err = store.Save(ctx, 0, "broken", snapshot.Meta{}, func(w io.Writer) (snapshot.Summary, error) {
		if _, err := w.Write(make([]byte, 20<<20)); err != nil {
			return snapshot.Summary{}, err
		}
		return snapshot.Summary{}, errors.New("builder killed")
	})
	if err == nil {
		t.Fatal("a failed build was saved")
	}
	if _, err := store.Get(ctx, 0, "broken"); !errors.Is(err, snapshot.ErrNotFound) {
		t.Errorf("failed build's manifest: %v, want not found", err)
	}
	if orphans, err := store.Orphans(ctx, 0); err != nil || len(orphans) != 0 {
		t.Errorf("failed upload left files %v (%v)", orphans, err)
	}

	// Retention by age: snapshots a day apart, kept for two days.
	kept, deleted, err := store.Prune(ctx, 0, snapshot.Retention{Days: 2}, clock)
	must(t, err)
	if len(deleted) != 2 || deleted[0] != names[0] || deleted[1] != names[1] || len(kept) != 2 {
		t.Errorf("2-day retention deleted %v, kept %d; want the two oldest deleted", deleted, len(kept))
	}
	// By count; the newest is always kept.
	kept, _, err = store.Prune(ctx, 0, snapshot.Retention{Count: 1}, clock)
	must(t, err)
	if len(kept) != 1 || kept[0].Name != names[3] {
		t.Errorf("count retention kept %v, want only %s", kept, names[3])
	}
	kept, _, err = store.Prune(ctx, 0, snapshot.Retention{Days: 1}, clock.Add(100*24*time.Hour))
	must(t, err)
	if len(kept) != 1 {
		t.Errorf("age retention deleted the newest snapshot")
	}
	must(t, store.Delete(ctx, 0, names[3]))
	if all, err := store.List(ctx, 0); err != nil || len(all) != 0 {
		t.Errorf("after deleting: %d snapshots (%v)", len(all), err)
	}
	if err := (snapshot.Retention{Days: 36}).Validate(); err == nil {
		t.Error("retention of 36 days accepted")
	}
}
