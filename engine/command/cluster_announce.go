package command

import (
	"context"
	"net"
	"strconv"
	"time"
)

// What a node tells clients about where nodes are. Each node announces one
// host:port in the control bucket (its lease and status): the host is
// --announce-hostname (a DNS name, what Redis's cluster-announce-hostname
// with cluster-preferred-endpoint-type hostname makes clients use), else
// --announce-ip, else the bind address; the port is the plaintext port,
// which nodes also use to reach each other (slot migrations).
//
// A client that came in on the TLS port must be sent to TLS ports, as
// Redis does (it answers each client with the port of the client's own
// connection type). The bucket holds only the plaintext port, so a TLS
// client is given each node's port shifted by this node's tls-port minus
// port: every node of a Cluster runs with the same ports (the operator's
// tls-port is port+1), so that is the peer's TLS port too.

// tlsShift returns how far the ports a client is told about must move: 0
// for a plaintext client, tls-port minus port for a client connected to
// the TLS port (when both ports are served).
func (e *Engine) tlsShift(c *Client) int {
	if c == nil {
		return 0
	}
	tlsPort, port := e.cfg.Int("tls-port"), e.cfg.Int("port")
	if tlsPort == 0 || port == 0 {
		return 0
	}
	_, lp, err := net.SplitHostPort(c.LAddr)
	if err != nil || lp != strconv.FormatInt(tlsPort, 10) {
		return 0
	}
	return int(tlsPort - port)
}

// clientPort is the port of a node (announced as port) to give client c.
func (e *Engine) clientPort(c *Client, port int) int {
	if port == 0 {
		return 0
	}
	return port + e.tlsShift(c)
}

// clientAddr is an announced host:port as client c must dial it: the
// target of a MOVED.
func (e *Engine) clientAddr(c *Client, addr string) string {
	shift := e.tlsShift(c)
	if shift == 0 {
		return addr
	}
	host, ps, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	p, err := strconv.Atoi(ps)
	if err != nil || p == 0 {
		return addr
	}
	return net.JoinHostPort(host, strconv.Itoa(p+shift))
}

// WaitClusterTopology waits until the node has read the slot map and can
// route keys (a node that has not answers CLUSTERDOWN), or ctx ends. A
// node not in a multi-shard cluster returns at once. mnemo node calls it
// before it listens, so that a TCP readiness probe passes only once the
// node serves.
func (e *Engine) WaitClusterTopology(ctx context.Context) error {
	cl := e.topo.cl
	if cl == nil {
		return nil
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for cl.routed.Load() == nil {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return nil
}
