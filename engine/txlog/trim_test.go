package txlog

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ReplayRange reads in batches: across several batches, past entries
// larger than a batch's byte bound, up to the asked end and no further,
// stopping when told, and it refuses a range whose start was trimmed.
func TestReplayRangeBatches(t *testing.T) {
	st, _ := testStream(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const n = 3*replayBatch + 7
	want := make([][]byte, n+1)
	for i := 1; i <= n; i++ {
		data := []byte("entry-" + strconv.Itoa(i))
		if i%50 == 0 { // some entries alone fill a batch's bytes
			data = append(data, bytes.Repeat([]byte{'x'}, replayBatchBytes+1)...)
		}
		want[i] = data
		ack, err := st.js.Publish(ctx, st.subject, data)
		if err != nil || ack.Sequence != uint64(i) {
			t.Fatalf("append %d: %v %+v", i, err, ack)
		}
	}
	for _, tc := range []struct {
		name     string
		from, to uint64
		stopAt   uint64
	}{
		{"whole log", 0, n, 0},
		{"a middle range over a batch boundary", replayBatch - 3, 2*replayBatch + 5, 0},
		{"one entry", 10, 11, 0},
		{"stopped early", 0, n, 100},
		{"empty", 20, 20, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			next := tc.from + 1
			var last time.Time
			err := st.ReplayRange(ctx, tc.from, tc.to, func(seq uint64, at time.Time, data []byte) (bool, error) {
				if seq != next {
					t.Fatalf("entry %d, want %d", seq, next)
				}
				if !bytes.Equal(data, want[seq]) {
					t.Fatalf("entry %d: %d bytes %.20q, want %d bytes %.20q", seq, len(data), data, len(want[seq]), want[seq])
				}
				if at.IsZero() || at.Before(last) {
					t.Fatalf("entry %d: time %v after %v", seq, at, last)
				}
				last = at
				next++
				return seq == tc.stopAt, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			end := tc.to + 1
			if tc.stopAt != 0 {
				end = tc.stopAt + 1
			}
			if next != end {
				t.Errorf("replayed up to %d, want up to %d", next-1, end-1)
			}
		})
	}
	if err := st.TrimBelow(ctx, 30); err != nil {
		t.Fatal(err)
	}
	err := st.ReplayRange(ctx, 10, 40, func(uint64, time.Time, []byte) (bool, error) { return false, nil })
	if err == nil || !strings.Contains(err.Error(), "cannot read log entry 11") {
		t.Errorf("replay of a trimmed range: %v, want an error at entry 11", err)
	}
	if err := st.ReplayRange(ctx, 29, 40, func(uint64, time.Time, []byte) (bool, error) { return false, nil }); err != nil {
		t.Errorf("replay after the trim point: %v", err)
	}
}
