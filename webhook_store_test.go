package tokenim

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type whClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *whClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *whClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestMemoryWebhookIDStore_lifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := &MemoryWebhookIDStore{}

	state, err := s.Reserve(ctx, "evt_1")
	require.NoError(t, err)
	assert.Equal(t, WebhookIDReserved, state)
	state, err = s.Reserve(ctx, "evt_1")
	require.NoError(t, err)
	assert.Equal(t, WebhookIDInProgress, state)

	require.NoError(t, s.Release(ctx, "evt_1"))
	state, err = s.Reserve(ctx, "evt_1")
	require.NoError(t, err)
	assert.Equal(t, WebhookIDReserved, state, "a released id runs again")

	require.NoError(t, s.Done(ctx, "evt_1"))
	state, err = s.Reserve(ctx, "evt_1")
	require.NoError(t, err)
	assert.Equal(t, WebhookIDDone, state)

	require.NoError(t, s.Release(ctx, "evt_1"))
	state, err = s.Reserve(ctx, "evt_1")
	require.NoError(t, err)
	assert.Equal(t, WebhookIDDone, state, "release does not undo done")
	assert.Equal(t, 1, s.Len())
}

func TestMemoryWebhookIDStore_forgetsAfterTTL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := &whClock{now: whNow}
	s := &MemoryWebhookIDStore{TTL: time.Hour, Now: clock.Now}

	_, err := s.Reserve(ctx, "evt_1")
	require.NoError(t, err)
	require.NoError(t, s.Done(ctx, "evt_1"))
	_, err = s.Reserve(ctx, "evt_busy")
	require.NoError(t, err)

	clock.Advance(time.Hour - time.Nanosecond)
	state, err := s.Reserve(ctx, "evt_1")
	require.NoError(t, err)
	assert.Equal(t, WebhookIDDone, state)

	clock.Advance(time.Nanosecond)
	state, err = s.Reserve(ctx, "evt_1")
	require.NoError(t, err)
	assert.Equal(t, WebhookIDReserved, state, "expired id runs again")

	clock.Advance(100 * time.Hour)
	state, err = s.Reserve(ctx, "evt_busy")
	require.NoError(t, err)
	assert.Equal(t, WebhookIDInProgress, state, "reservations in progress never expire")
}

func TestMemoryWebhookIDStore_bounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := &whClock{now: whNow}
	s := &MemoryWebhookIDStore{MaxEntries: 3, Now: clock.Now}

	for _, id := range []string{"evt_a", "evt_b", "evt_c"} {
		_, err := s.Reserve(ctx, id)
		require.NoError(t, err)
		require.NoError(t, s.Done(ctx, id))
		clock.Advance(time.Second)
	}
	state, err := s.Reserve(ctx, "evt_d")
	require.NoError(t, err)
	assert.Equal(t, WebhookIDReserved, state)
	assert.Equal(t, 3, s.Len())

	state, err = s.Reserve(ctx, "evt_b")
	require.NoError(t, err)
	assert.Equal(t, WebhookIDDone, state, "a newer id survives")
	state, err = s.Reserve(ctx, "evt_a")
	require.NoError(t, err)
	assert.Equal(t, WebhookIDReserved, state, "the oldest handled id was evicted")

	// Now: evt_d, evt_a in progress, evt_c done (evt_b was evicted for evt_a).
	state, err = s.Reserve(ctx, "evt_e")
	require.NoError(t, err)
	assert.Equal(t, WebhookIDReserved, state)
	_, err = s.Reserve(ctx, "evt_f")
	assert.ErrorIs(t, err, ErrWebhookIDStoreFull, "reservations in progress are never evicted")
	state, err = s.Reserve(ctx, "evt_d")
	require.NoError(t, err)
	assert.Equal(t, WebhookIDInProgress, state)
	assert.Equal(t, 3, s.Len())
}

func TestMemoryWebhookIDStore_concurrentReserve(t *testing.T) {
	t.Parallel()
	s := &MemoryWebhookIDStore{}
	var reserved atomic.Int32
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			state, err := s.Reserve(context.Background(), "evt_1")
			assert.NoError(t, err)
			if state == WebhookIDReserved {
				reserved.Add(1)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, int32(1), reserved.Load())
}

// --- WebhookHandler ---

// whRequest is a delivery of body as the platform sends it, signed now.
