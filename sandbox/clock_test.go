package sandbox

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClock_frozenMovesOnlyWithAdvance(t *testing.T) {
	t.Parallel()
	c := newClock(t0, true)
	assert.True(t, c.Frozen())
	assert.Equal(t, t0, c.Now())
	assert.Equal(t, t0.Add(90*time.Second), c.Advance(90*time.Second))
	assert.Equal(t, t0.Add(90*time.Second), c.Advance(-time.Hour), "a negative advance does not move the clock back")
}

func TestClock_resumeFlowsFromFrozenInstant(t *testing.T) {
	t.Parallel()
	c := newClock(t0, true)
	c.Resume()
	assert.False(t, c.Frozen())
	now := c.Now()
	assert.False(t, now.Before(t0), "resumed clock continues from where it stood")
	assert.Less(t, now.Sub(t0), time.Minute)
	c.Freeze()
	frozenAt := c.Now()
	assert.Equal(t, frozenAt, c.Now())
}

func TestClock_startTimeOffsetsRealTime(t *testing.T) {
	t.Parallel()
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newClock(start, false)
	assert.WithinDuration(t, start, c.Now(), time.Minute)
}

func TestScheduler_advanceRunsDueJobsInTimeOrder(t *testing.T) {
	t.Parallel()
	c := newClock(t0, true)
	s := newScheduler(c)
	var mu sync.Mutex
	var ran []string
	var seen []time.Time
	add := func(name string, d time.Duration) {
		s.at(t0.Add(d), func() {
			mu.Lock()
			ran = append(ran, name)
			seen = append(seen, c.Now())
			mu.Unlock()
		})
	}
	add("c", 3*time.Hour)
	add("a", time.Hour)
	add("late", 10*time.Hour)
	add("b1", 2*time.Hour)
	add("b2", 2*time.Hour) // same instant: arrival order
	// A job that schedules another one inside the advanced window.
	s.at(t0.Add(30*time.Minute), func() { add("chained", 2*time.Hour+time.Second) })

	now := c.Advance(5 * time.Hour)

	assert.Equal(t, t0.Add(5*time.Hour), now)
	assert.Equal(t, []string{"a", "b1", "b2", "chained", "c"}, ran)
	assert.Equal(t, []time.Time{t0.Add(time.Hour), t0.Add(2 * time.Hour), t0.Add(2 * time.Hour),
		t0.Add(2*time.Hour + time.Second), t0.Add(3 * time.Hour)}, seen, "each job sees the clock at its own due time")
	at, ok := s.next()
	require.True(t, ok)
	assert.Equal(t, t0.Add(10*time.Hour), at, "jobs beyond the window stay queued")
}

func TestScheduler_clearDropsPendingJobs(t *testing.T) {
	t.Parallel()
	c := newClock(t0, true)
	s := newScheduler(c)
	ran := false
	s.at(t0.Add(time.Minute), func() { ran = true })
	s.clear()
	c.Advance(time.Hour)
	assert.False(t, ran)
}

func TestScheduler_backgroundFiresDueJobsWhenNotFrozen(t *testing.T) {
	t.Parallel()
	sb := New(WithStartTime(t0))
	t.Cleanup(sb.Close)
	done := make(chan time.Time, 1)
	// Already due: the background loop fires it without any Advance.
	sb.sched.at(sb.clock.Now().Add(-time.Second), func() { done <- sb.clock.Now() })
	select {
	case at := <-done:
		assert.False(t, at.Before(t0))
	case <-time.After(10 * time.Second):
		t.Fatal("the background timer never fired a due job")
	}
}

func TestSandbox_advanceExpiresOrdersAndSettlesTransfers(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	expiring := newOrder(t, srv, 1000)
	settling := newOrder(t, srv, 2000)
	r := api(t, srv, "POST", "/v1/payments", map[string]any{"order_id": settling, "method": map[string]any{"type": "bank_transfer"}})
	require.Equal(t, 200, r.status, "%s", r.raw)
	assert.Equal(t, "processing", r.str("status"))

	srv.Advance(31 * time.Minute)
	assert.Equal(t, "expired", api(t, srv, "GET", "/v1/orders/"+expiring, nil).str("status"))
	assert.Equal(t, "open", api(t, srv, "GET", "/v1/orders/"+settling, nil).str("status"),
		"an order with a payment processing does not expire")

	srv.Advance(30 * time.Minute)
	p := api(t, srv, "GET", "/v1/payments/"+r.str("id"), nil)
	assert.Equal(t, "succeeded", p.str("status"))
	assert.Equal(t, "2026-11-21T10:30:00Z", p.str("succeeded_at"), "settled exactly one hour after creation")
	assert.Equal(t, "paid", api(t, srv, "GET", "/v1/orders/"+settling, nil).str("status"))
}
