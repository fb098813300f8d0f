package txlog

import (
	"sync"
	"time"
)

// LatencyHistogram keeps append latencies in power-of-two microsecond
// buckets, enough for percentiles in INFO without keeping samples.
type LatencyHistogram struct {
	mu      sync.Mutex
	buckets [32]int64 // bucket i counts latencies in [2^(i-1), 2^i) µs; guarded by mu
	count   int64     // guarded by mu
}

// Observe records one latency.
func (h *LatencyHistogram) Observe(d time.Duration) {
	us := d.Microseconds()
	i := 0
	for us > 0 && i < len(h.buckets)-1 {
		us >>= 1
		i++
	}
	h.mu.Lock()
	h.buckets[i]++
	h.count++
	h.mu.Unlock()
}

// Percentile returns the upper bound of the bucket holding the p-th
// percentile (0 < p ≤ 100), in microseconds, or 0 with no samples.
func (h *LatencyHistogram) Percentile(p float64) int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.count == 0 {
		return 0
	}
	rank := int64(p / 100 * float64(h.count))
	if rank < 1 {
		rank = 1
	}
	var seen int64
	for i, n := range h.buckets {
		seen += n
		if seen >= rank {
			return int64(1) << uint(i)
		}
	}
	return int64(1) << uint(len(h.buckets)-1)
}
