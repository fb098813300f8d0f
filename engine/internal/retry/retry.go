// Package retry holds the one retry loop the engine's JetStream clients
// share: opening a stream, a bucket or an object store, or listing one,
// on a log cluster that may still be electing its meta leader.
package retry

import (
	"context"
	"fmt"
	"time"
)

const (
	// Attempt bounds each try: a log cluster without a meta leader does
	// not answer at all, so the whole wait's deadline is not enough.
	Attempt = 5 * time.Second
	// Pause is the wait between tries.
	Pause = 200 * time.Millisecond
)

// Bounded calls try, each call with a context bounded by Attempt, every
// Pause until it succeeds or ctx ends. The error then names what was being
// done and the last failure (ctx's error when there was none).
func Bounded(ctx context.Context, what string, try func(ctx context.Context) error) error {
	var lastErr error
	for {
		actx, cancel := context.WithTimeout(ctx, Attempt)
		err := try(actx)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() == nil {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			if lastErr == nil {
				lastErr = ctx.Err()
			}
			return fmt.Errorf("%s: %w", what, lastErr)
		case <-time.After(Pause):
		}
	}
}
