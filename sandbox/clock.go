package sandbox

import (
	"container/heap"
	"sync"
	"time"
)

// Clock is the sandbox's virtual clock. By default virtual time flows with
// real time (virtual now = real now + offset); Freeze stops it so tests can
// move it only with Advance.
type Clock struct {
	mu     sync.Mutex
	offset time.Duration
	frozen bool
	at     time.Time // the frozen instant, valid while frozen

	// sched, when set, makes Advance run every job that falls due.
	sched *scheduler
}

func newClock(start time.Time, frozen bool) *Clock {
	c := &Clock{}
	if !start.IsZero() {
		c.offset = time.Until(start)
	}
	if frozen {
		c.frozen = true
		c.at = start
		if start.IsZero() {
			c.at = time.Now()
		}
	}
	return c
}

// Now returns the current sandbox time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nowLocked()
}

func (c *Clock) nowLocked() time.Time {
	if c.frozen {
		return c.at
	}
	return time.Now().Add(c.offset).Round(0)
}

// Freeze stops the clock at the current sandbox time.
func (c *Clock) Freeze() {
	c.mu.Lock()
	if !c.frozen {
		c.at = c.nowLocked()
		c.frozen = true
	}
	c.mu.Unlock()
	c.wake()
}

// Resume lets sandbox time flow again from where it stands.
func (c *Clock) Resume() {
	c.mu.Lock()
	if c.frozen {
		c.offset = time.Until(c.at)
		c.frozen = false
	}
	c.mu.Unlock()
	c.wake()
}

// Frozen reports whether the clock is frozen.
func (c *Clock) Frozen() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.frozen
}

// Advance moves the clock forward by d (a negative d is treated as zero),
// runs every scheduled job that falls due, in time order, and returns the new
// sandbox time.
func (c *Clock) Advance(d time.Duration) time.Time {
	if d < 0 {
		d = 0
	}
	if c.sched == nil {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.moveToLocked(c.nowLocked().Add(d))
		return c.nowLocked()
	}
	return c.sched.advance(d)
}

// moveTo moves the clock forward to t; it never moves backwards.
func (c *Clock) moveTo(t time.Time) {
	c.mu.Lock()
	c.moveToLocked(t)
	c.mu.Unlock()
}

func (c *Clock) moveToLocked(t time.Time) {
	now := c.nowLocked()
	if !t.After(now) {
		return
	}
	if c.frozen {
		c.at = t
	} else {
		c.offset += t.Sub(now)
	}
}

func (c *Clock) wake() {
	if c.sched != nil {
		c.sched.poke()
	}
}

// job is one piece of work due at a sandbox instant.
type job struct {
	at  time.Time
	seq uint64
	gen uint64
	fn  func()
}

type jobHeap []*job

func (h jobHeap) Len() int { return len(h) }
func (h jobHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].seq < h[j].seq
}
func (h jobHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *jobHeap) Push(x any)   { *h = append(*h, x.(*job)) }
func (h *jobHeap) Pop() any {
	old := *h
	n := len(old)
	j := old[n-1]
	old[n-1] = nil
	*h = old[:n-1]
	return j
}

// scheduler is the one queue of everything that happens later in sandbox
// time: order expiries, settlements, refund completions, webhook retries.
// Jobs run outside the state lock, one at a time, in (time, arrival) order.
type scheduler struct {
	clock *Clock
	// settle, when set, is called after each job run by Advance so that work
	// the job started (webhook attempts) can schedule its follow-ups first.
	settle func()
	// afterAdvance, when set, runs once an Advance has reached its target.
	afterAdvance func()

	runMu sync.Mutex // serialises running jobs

	mu   sync.Mutex
	h    jobHeap
	seq  uint64
	gen  uint64
	wake chan struct{}
	done chan struct{}
	stop sync.Once
	wg   sync.WaitGroup
}

func newScheduler(c *Clock) *scheduler {
	s := &scheduler{clock: c, wake: make(chan struct{}, 1), done: make(chan struct{})}
	c.sched = s
	return s
}

// at schedules fn to run at sandbox time t.
func (s *scheduler) at(t time.Time, fn func()) {
	s.mu.Lock()
	s.seq++
	heap.Push(&s.h, &job{at: t, seq: s.seq, gen: s.gen, fn: fn})
	s.mu.Unlock()
	s.poke()
}

// clear drops every pending job (Reset).
func (s *scheduler) clear() {
	s.mu.Lock()
	s.h = nil
	s.gen++
	s.mu.Unlock()
}

func (s *scheduler) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// pop removes and returns the earliest job due at or before limit.
func (s *scheduler) pop(limit time.Time) *job {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.h) > 0 && !s.h[0].at.After(limit) {
		j := heap.Pop(&s.h).(*job)
		if j.gen == s.gen {
			return j
		}
	}
	return nil
}

func (s *scheduler) next() (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.h) == 0 {
		return time.Time{}, false
	}
	return s.h[0].at, true
}

// advance moves the clock by d, stepping it to each due job's time before
// running it so that what the job records carries that time.
func (s *scheduler) advance(d time.Duration) time.Time {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	target := s.clock.Now().Add(d)
	if s.settle != nil {
		s.settle()
	}
	for {
		j := s.pop(target)
		if j == nil {
			break
		}
		s.clock.moveTo(j.at)
		j.fn()
		if s.settle != nil {
			s.settle()
		}
	}
	s.clock.moveTo(target)
	if s.afterAdvance != nil {
		s.afterAdvance()
	}
	s.poke()
	return s.clock.Now()
}

// runDue runs every job due by the current sandbox time.
func (s *scheduler) runDue() {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	for {
		j := s.pop(s.clock.Now())
		if j == nil {
			return
		}
		j.fn()
	}
}

// start runs the background loop that fires due jobs as real time passes
// while the clock is not frozen.
func (s *scheduler) start() {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTimer(time.Hour)
		defer t.Stop()
		for {
			wait := time.Hour
			if at, ok := s.next(); ok && !s.clock.Frozen() {
				wait = at.Sub(s.clock.Now())
				if wait <= 0 {
					s.runDue()
					continue
				}
			}
			t.Reset(wait)
			select {
			case <-t.C:
			case <-s.wake:
			case <-s.done:
				return
			}
		}
	}()
}

func (s *scheduler) close() {
	s.stop.Do(func() { close(s.done) })
	s.wg.Wait()
}
