package cluster

import "testing"

func TestEndpointPrefersAnnouncedHostname(t *testing.T) {
	const id = "0123456789abcdef0123456789abcdef01234567"
	for _, tc := range []struct {
		addr     string
		ip, host string
		port     int
	}{
		{"10.244.0.7:6379", "10.244.0.7", "", 6379},
		{"[fd00::7]:6379", "fd00::7", "", 6379},
		{"orders-shard-0-1.orders-shard-0.shop.svc:6379", "orders-shard-0-1.orders-shard-0.shop.svc", "orders-shard-0-1.orders-shard-0.shop.svc", 6379},
		{"", "", "", 0},
	} {
		n := endpoint(id, tc.addr)
		if n.IP != tc.ip || n.Hostname != tc.host || n.Port != tc.port {
			t.Errorf("endpoint(%q) = ip %q hostname %q port %d, want %q %q %d", tc.addr, n.IP, n.Hostname, n.Port, tc.ip, tc.host, tc.port)
		}
	}
}
