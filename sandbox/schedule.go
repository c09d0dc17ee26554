package sandbox

import "time"

// later schedules fn to run at sandbox time at for merchant m: it runs under
// the state lock, in (time, scheduling) order with every other job —
// whether the clock reaches at by flowing or through Advance — and is
// skipped when a Reset has replaced m since. This is how a resource makes
// something happen later: refunds settle, bank transfers settle, orders
// expire; disputes' deadlines and daily settlements go the same way.
// The caller may hold s.mu.
func (s *Sandbox) later(m *merchant, at time.Time, fn func(m *merchant, now time.Time)) {
	s.sched.at(at, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.merchants[m.id] != m {
			return // reset since: the merchant's objects are gone
		}
		fn(m, s.clock.Now())
	})
}
