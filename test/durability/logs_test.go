//go:build linux

package durability

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/mnemo-dev/mnemo/engine/txlog"
)

// logServer is one `mnemo log` process and its addresses.
type logServer struct {
	*proc
	clientURL string // nats://127.0.0.1:port
}

// startLog starts `mnemo log` NAME with its own directory under dir. With
// routes, it joins a cluster listening for routes on routePort.
func startLog(t *testing.T, dir, name string, clientPort, routePort int, routes []string) *logServer {
	t.Helper()
	args := []string{"log", "--name", name, "--dir", filepath.Join(dir, name),
		"--listen", "127.0.0.1:" + strconv.Itoa(clientPort)}
	if len(routes) > 0 {
		args = append(args, "--cluster-listen", "127.0.0.1:"+strconv.Itoa(routePort), "--routes", strings.Join(routes, ","))
	}
	ls := &logServer{proc: startProc(t, dir, name, args...), clientURL: "nats://127.0.0.1:" + strconv.Itoa(clientPort)}
	waitPort(t, ls.proc, "127.0.0.1:"+strconv.Itoa(clientPort), time.Minute)
	return ls
}

// startNode starts `mnemo node` on port against the log servers at urls,
// with its own directory under dir.
func startNode(t *testing.T, dir, name string, port int, urls string, extra ...string) (*proc, string) {
	t.Helper()
	// Like redis-server's, the node's --dir must exist.
	if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"node", "--log", urls, "--port", strconv.Itoa(port), "--dir", filepath.Join(dir, name)}, extra...)
	p := startProc(t, dir, name, args...)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	waitReady(t, p, addr, 2*time.Minute)
	return p, addr
}

// infoField returns one field of INFO SECTION.
func infoField(c *conn, section, field string) (string, error) {
	v, err := c.DoTimeout(5*time.Second, "INFO", section)
	if err != nil {
		return "", err
	}
	if v.IsErr() {
		return "", fmt.Errorf("INFO %s: %s", section, v.Str)
	}
	for line := range strings.SplitSeq(v.Str, "\r\n") {
		if val, ok := strings.CutPrefix(line, field+":"); ok {
			return val, nil
		}
	}
	return "", fmt.Errorf("INFO %s has no %s", section, field)
}

// logHolds reads shard 0's stream straight from the log server at url,
// independently of any node, and returns the value of key its entries
// leave (SET and DEL effects), and whether the key exists.
func logHolds(url, key string) (val string, exists bool, entries uint64, err error) {
	nc, err := nats.Connect(url, nats.Timeout(5*time.Second))
	if err != nil {
		return "", false, 0, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return "", false, 0, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, txlog.StreamName(0))
	if err != nil {
		return "", false, 0, err
	}
	info, err := s.Info(ctx)
	if err != nil {
		return "", false, 0, err
	}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && seq > 0; seq++ {
		msg, err := s.GetMsg(ctx, seq)
		if err != nil {
			return "", false, 0, fmt.Errorf("entry %d: %w", seq, err)
		}
		err = txlog.DecodeBatch(msg.Data, func(group [][][]byte) error {
			for _, args := range group {
				if len(args) < 2 || string(args[1]) != key {
					continue
				}
				switch {
				case bytes.EqualFold(args[0], []byte("SET")) && len(args) >= 3:
					val, exists = string(args[2]), true
				case bytes.EqualFold(args[0], []byte("DEL")):
					val, exists = "", false
				default:
					return fmt.Errorf("unexpected effect on %s: %q", key, args)
				}
			}
			return nil
		})
		if err != nil {
			return "", false, 0, fmt.Errorf("entry %d: %w", seq, err)
		}
		entries++
	}
	return val, exists, entries, nil
}
