package cluster

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
)

// NodeIDLen is the length of a node or shard ID: 160 bits in hex, as
// Redis's.
const NodeIDLen = 40

// NodeIDFile is the name of the file, in the node's data directory, that
// keeps its node ID across restarts.
const NodeIDFile = "mnemo-node-id"

// NewNodeID returns a random node ID.
func NewNodeID() string {
	var b [NodeIDLen / 2]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// HostnameNodeID is the node ID of a node known by a stable hostname (a
// StatefulSet pod's DNS name): the same name gives the same ID, so a pod
// replaced under its name, which keeps no files, rejoins as the node it
// was — the shard's lease and the slot map still name it — rather than as
// a stranger at the same address.
func HostnameNodeID(hostname string) string {
	sum := sha1.Sum([]byte("mnemo node " + hostname))
	return hex.EncodeToString(sum[:])
}

// ValidNodeID reports whether id is 40 lowercase hex characters.
func ValidNodeID(id string) bool {
	if len(id) != NodeIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// LoadOrCreateNodeID returns the node ID kept in dir, creating it on first
// use. It always returns a usable ID: when dir cannot hold one (missing,
// read-only, or holding a damaged file) it returns a fresh ID valid for
// this process only, with the error that says why it was not kept. A
// damaged file is left alone for a person to look at, as Redis refuses
// to touch a damaged nodes.conf.
func LoadOrCreateNodeID(dir string) (string, error) {
	path := filepath.Join(dir, NodeIDFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		id := string(bytes.TrimSpace(b))
		if !ValidNodeID(id) {
			return NewNodeID(), fmt.Errorf("cannot use the node ID in %s: %w", path, ErrBadNodeID)
		}
		return id, nil
	case !os.IsNotExist(err):
		return NewNodeID(), fmt.Errorf("cannot read the node ID: %w", err)
	}
	id := NewNodeID()
	if err := writeFileAtomic(dir, path, []byte(id+"\n")); err != nil {
		return id, fmt.Errorf("cannot keep the node ID: %w", err)
	}
	return id, nil
}

// writeFileAtomic writes data to path through a synced temporary file and
// a rename, so a crash leaves either no file or a whole one.
func writeFileAtomic(dir, path string, data []byte) error {
	f, err := os.CreateTemp(dir, NodeIDFile+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	// Make the rename itself durable.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
