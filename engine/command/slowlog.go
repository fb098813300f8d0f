package command

import (
	"time"
)

// slowlogEntry is one SLOWLOG entry.
type slowlogEntry struct {
	id       int64
	at       int64 // Unix seconds
	duration int64 // microseconds
	args     []string
	addr     string
	name     string
}

// slowlog keeps the slowest recent commands; guarded by the engine lock.
type slowlog struct {
	entries []slowlogEntry // newest first
	nextID  int64
}

func (s *slowlog) init() {}

// maxSlowlogArgs and maxSlowlogArgLen bound what an entry keeps of a
// command, as Redis's SLOWLOG_ENTRY_MAX_ARGC and _STRING do.
const (
	maxSlowlogArgs   = 32
	maxSlowlogArgLen = 128
)

func (s *slowlog) record(e *Engine, c *Client, args [][]byte, redacted uint64, dur time.Duration) {
	threshold := e.cfg.Int("slowlog-log-slower-than")
	if threshold < 0 || dur.Microseconds() < threshold {
		return
	}
	max := int(e.cfg.Int("slowlog-max-len"))
	ent := slowlogEntry{id: s.nextID, at: e.now().Unix(), duration: dur.Microseconds(), addr: c.Addr, name: c.name}
	s.nextID++
	n := len(args)
	if n > maxSlowlogArgs {
		n = maxSlowlogArgs
	}
	for i := 0; i < n; i++ {
		a := args[i]
		if i < 64 && redacted&(1<<uint(i)) != 0 {
			a = []byte("(redacted)")
		}
		if i == maxSlowlogArgs-1 && len(args) > maxSlowlogArgs {
			ent.args = append(ent.args, "... ("+itoa(int64(len(args)-maxSlowlogArgs+1))+" more arguments)")
			break
		}
		if len(a) > maxSlowlogArgLen {
			ent.args = append(ent.args, string(a[:maxSlowlogArgLen])+"... ("+itoa(int64(len(a)-maxSlowlogArgLen))+" more bytes)")
		} else {
			ent.args = append(ent.args, string(a))
		}
	}
	s.entries = append([]slowlogEntry{ent}, s.entries...)
	if len(s.entries) > max {
		s.entries = s.entries[:max]
	}
}

// latencyMonitor records latency spikes per event (LATENCY LATEST,
// HISTORY); guarded by the engine lock.
type latencyMonitor struct {
	events map[string]*latencyEvent
	// hists are the per-command latency histograms of INFO
	// latencystats, kept whatever latency-monitor-threshold says.
	hists map[*Command]*latencyHistogram
}

type latencyEvent struct {
	history []latencySample // oldest first, at most 160
	max     int64           // ms, all-time
}

type latencySample struct {
	at int64 // Unix seconds
	ms int64
}

func (l *latencyMonitor) record(e *Engine, cmd *Command, dur time.Duration) {
	l.recordCommand(cmd, dur)
	threshold := e.cfg.Int("latency-monitor-threshold")
	ms := dur.Milliseconds()
	if threshold == 0 || ms < threshold {
		return
	}
	event := "command"
	if cmd.Is(FlagFast) {
		event = "fast-command"
	}
	l.add(event, e.now().Unix(), ms)
}

func (l *latencyMonitor) add(event string, at, ms int64) {
	if l.events == nil {
		l.events = map[string]*latencyEvent{}
	}
	ev := l.events[event]
	if ev == nil {
		ev = &latencyEvent{}
		l.events[event] = ev
	}
	if n := len(ev.history); n > 0 && ev.history[n-1].at == at {
		if ms > ev.history[n-1].ms {
			ev.history[n-1].ms = ms
		}
	} else {
		ev.history = append(ev.history, latencySample{at, ms})
		if len(ev.history) > 160 {
			ev.history = ev.history[1:]
		}
	}
	if ms > ev.max {
		ev.max = ms
	}
}

// latencyHistogram is a per-command latency histogram with the bucket
// layout of the HdrHistogram Redis uses for INFO latencystats (values in
// nanoseconds from 1 ns to 1 s, two significant digits): values below 256
// have buckets of width 1, and each further power of two is split into 128
// buckets. Percentiles are reported as the highest value of their bucket,
// as hdr_value_at_percentile does, so Mnemo's figures read like Redis's.
type latencyHistogram struct {
	counts []int64 // by bucket index, grown on demand
	total  int64
}

const (
	histMinNs     = 1
	histMaxNs     = 1_000_000_000
	histSubBucket = 256 // 2 significant digits: 2*10^2 rounded up to a power of two
	histHalf      = histSubBucket / 2
)

// histIndex returns the bucket index of v (1 <= v <= histMaxNs).
func histIndex(v int64) int {
	if v < histSubBucket {
		return int(v)
	}
	// Bucket b >= 1 covers [256<<(b-1), 256<<b) with a unit of 1<<b.
	b := bitsLen(v) - 8
	return histSubBucket + (b-1)*histHalf + int(v>>uint(b)) - histHalf
}

// histHighest returns the highest value that falls in bucket i.
func histHighest(i int) int64 {
	if i < histSubBucket {
		return int64(i)
	}
	b := (i-histSubBucket)/histHalf + 1
	sub := int64((i-histSubBucket)%histHalf + histHalf)
	return (sub+1)<<uint(b) - 1
}

func bitsLen(v int64) int {
	n := 0
	for ; v > 0; v >>= 1 {
		n++
	}
	return n
}

func (h *latencyHistogram) add(ns int64) {
	ns = min(max(ns, histMinNs), histMaxNs)
	i := histIndex(ns)
	if i >= len(h.counts) {
		h.counts = append(h.counts, make([]int64, i+1-len(h.counts))...)
	}
	h.counts[i]++
	h.total++
}

// percentile returns the value at percentile p (0-100) in nanoseconds,
// following hdr_value_at_percentile.
func (h *latencyHistogram) percentile(p float64) int64 {
	want := max(int64(p/100*float64(h.total)+0.5), 1)
	var seen int64
	for i, n := range h.counts {
		seen += n
		if seen >= want {
			return histHighest(i)
		}
	}
	return 0
}

// cumulative returns (microseconds, calls at or below) pairs at the
// power-of-two reporting levels from 1024 ns, leaving out levels that add
// no calls, as Redis's LATENCY HISTOGRAM walks its histogram.
func (h *latencyHistogram) cumulative() [][2]int64 {
	var out [][2]int64
	var cum, prev int64
	next := 0 // first bucket not yet summed
	for level := int64(1024); prev < h.total && level <= 4*histMaxNs; level *= 2 {
		top := histIndex(level)
		for ; next <= top && next < len(h.counts); next++ {
			cum += h.counts[next]
		}
		if cum > prev {
			out = append(out, [2]int64{histHighest(top) / 1000, cum})
		}
		prev = cum
	}
	return out
}

// recordCommand adds one execution of cmd to its latency histogram.
func (l *latencyMonitor) recordCommand(cmd *Command, dur time.Duration) {
	if l.hists == nil {
		l.hists = map[*Command]*latencyHistogram{}
	}
	h := l.hists[cmd]
	if h == nil {
		h = &latencyHistogram{}
		l.hists[cmd] = h
	}
	h.add(dur.Nanoseconds())
}
