// Command image writes an OCI image of one static binary as an OCI layout
// tarball, without a Docker engine: one layer holding the binary, an image
// config (entrypoint, user) and a manifest, with the image's name in
// index.json's io.containerd.image.name annotation, so that `ctr images
// import` names it. `make image` runs it on bin/mnemo; hack/local-k8s runs it
// to make the pause image of the local cluster.
//
// The result is what the Dockerfile builds (a static binary as the
// entrypoint, run as the numeric nonroot user 65532), minus distroless's
// few files, which a static Go binary does not read.
//
// Usage: go run ./hack/image -binary bin/mnemo -name docker.io/library/mnemo:dev -o bin/mnemo-image.tar
package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"runtime"
	"strings"
	"time"
)

// epoch is every file's modification time, so the same binary gives the
// same image digest.
var epoch = time.Unix(0, 0).UTC()

func main() {
	binary := flag.String("binary", "", "the static binary to ship (required)")
	name := flag.String("name", "", "the image's full name, e.g. docker.io/library/mnemo:dev (required)")
	out := flag.String("o", "", "the OCI layout tarball to write (required)")
	entry := flag.String("entrypoint", "", "path of the binary in the image (default /<binary's base name>)")
	user := flag.String("user", "65532:65532", "the user the image runs as")
	flag.Parse()
	if *binary == "" || *name == "" || *out == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if *entry == "" {
		*entry = "/" + path.Base(*binary)
	}
	if err := write(*binary, *name, *entry, *user, *out); err != nil {
		fmt.Fprintf(os.Stderr, "image: %v\n", err)
		os.Exit(1)
	}
}

// blob is one content-addressed file of the layout.
type blob struct {
	mediaType string
	data      []byte
}

func (b blob) digest() string {
	sum := sha256.Sum256(b.data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func (b blob) descriptor(annotations map[string]string) map[string]any {
	d := map[string]any{"mediaType": b.mediaType, "digest": b.digest(), "size": len(b.data)}
	if annotations != nil {
		d["annotations"] = annotations
	}
	return d
}

func write(binary, name, entry, user, out string) error {
	bin, err := os.ReadFile(binary)
	if err != nil {
		return err
	}
	if !strings.Contains(path.Base(name), ":") {
		return errors.New("-name needs a tag (a non-latest tag keeps imagePullPolicy IfNotPresent)")
	}
	layer, err := layerTar(entry, bin)
	if err != nil {
		return err
	}
	layerBlob := blob{"application/vnd.oci.image.layer.v1.tar", layer}
	config, err := json.Marshal(map[string]any{
		"created":      epoch.Format(time.RFC3339),
		"architecture": runtime.GOARCH,
		"os":           "linux",
		"config": map[string]any{
			"Entrypoint": []string{entry},
			"User":       user,
			"Env":        []string{"PATH=/"},
			"WorkingDir": "/",
		},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{layerBlob.digest()}},
	})
	if err != nil {
		return err
	}
	configBlob := blob{"application/vnd.oci.image.config.v1+json", config}
	manifest, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.manifest.v1+json",
		"config":        configBlob.descriptor(nil),
		"layers":        []any{layerBlob.descriptor(nil)},
	})
	if err != nil {
		return err
	}
	manifestBlob := blob{"application/vnd.oci.image.manifest.v1+json", manifest}
	index, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.index.v1+json",
		"manifests": []any{manifestBlob.descriptor(map[string]string{
			"io.containerd.image.name":          name,
			"org.opencontainers.image.ref.name": name[strings.LastIndex(name, ":")+1:],
		})},
	})
	if err != nil {
		return err
	}

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(name string, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: epoch, Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	if err := add("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)); err != nil {
		return err
	}
	for _, b := range []blob{layerBlob, configBlob, manifestBlob} {
		if err := add("blobs/sha256/"+strings.TrimPrefix(b.digest(), "sha256:"), b.data); err != nil {
			return err
		}
	}
	if err := add("index.json", index); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	tmp := out + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

// layerTar is the image's one layer: the binary at entry, executable, and
// an empty /tmp that a read-only root filesystem can mount over.
func layerTar(entry string, bin []byte) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: "tmp/", Mode: 0o1777, ModTime: epoch, Typeflag: tar.TypeDir}); err != nil {
		return nil, err
	}
	if err := tw.WriteHeader(&tar.Header{Name: strings.TrimPrefix(entry, "/"), Mode: 0o755, Size: int64(len(bin)), ModTime: epoch, Typeflag: tar.TypeReg}); err != nil {
		return nil, err
	}
	if _, err := io.Copy(tw, bytes.NewReader(bin)); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
