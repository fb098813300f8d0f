package retry

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestBoundedRetriesUntilSuccess(t *testing.T) {
	calls := 0
	err := Bounded(context.Background(), "cannot open", func(ctx context.Context) error {
		calls++
		if _, ok := ctx.Deadline(); !ok {
			t.Error("an attempt has no deadline of its own")
		}
		if calls < 3 {
			return errors.New("no meta leader")
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("err %v after %d calls, want success on the third", err, calls)
	}
}

func TestBoundedNamesTheLastFailure(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*Pause)
	defer cancel()
	cause := errors.New("no meta leader")
	err := Bounded(ctx, "cannot open the bucket", func(context.Context) error { return cause })
	if !errors.Is(err, cause) || !strings.HasPrefix(err.Error(), "cannot open the bucket: ") {
		t.Fatalf("err %v, want the last failure wrapped under what was being done", err)
	}
}

func TestBoundedAttemptEndsWithItsOwnDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), Attempt+Pause/2)
	defer cancel()
	err := Bounded(ctx, "cannot list", func(actx context.Context) error {
		<-actx.Done() // a server that never answers
		return actx.Err()
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want the attempt's deadline", err)
	}
}
