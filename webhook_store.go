package tokenim

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// WebhookIDState is what a WebhookIDStore knows about a webhook-id when the
// handler tries to reserve it.
type WebhookIDState int

// The states Reserve reports.
const (
	// WebhookIDReserved: the id was unknown and is now reserved by this
	// call; the caller must later call Done or Release.
	WebhookIDReserved WebhookIDState = iota + 1
	// WebhookIDInProgress: another call holds the reservation and has not
	// finished yet.
	WebhookIDInProgress
	// WebhookIDDone: the event was handled successfully before.
	WebhookIDDone
)

// WebhookIDStore records which webhook deliveries are being or have been
// handled, so that WebhookHandler runs the merchant's function at most once
// per successful event. Reserve must be atomic: of concurrent calls with one
// id, exactly one may report WebhookIDReserved. Implementations backed by a
// shared database or cache let several processes share one endpoint.
//
// How WebhookHandler calls it, per verified delivery: Reserve with the
// request's context; then, only after WebhookIDReserved, exactly one of Done
// (the function succeeded) or Release (it failed or panicked), with a
// context that the sender hanging up does not cancel, so a reservation is
// never left behind by a lost connection. An error from Reserve answers 500
// (the platform retries); an error from Done is only logged, because the
// event was handled. A reservation whose process died before Done or Release
// should expire, or the platform's retries of that event are answered 409
// until it does.
type WebhookIDStore interface {
	// Reserve claims id for handling and reports its previous state.
	Reserve(ctx context.Context, id string) (WebhookIDState, error)
	// Release drops a reservation after a failed attempt, so that the
	// platform's next delivery of id runs again.
	Release(ctx context.Context, id string) error
	// Done marks a reserved id as handled successfully.
	Done(ctx context.Context, id string) error
}

// Defaults of MemoryWebhookIDStore. The TTL outlasts the platform's whole
// retry schedule (about 28 hours), so a late redelivery is still recognised.
const (
	DefaultWebhookIDTTL        = 48 * time.Hour
	DefaultWebhookIDMaxEntries = 100_000
)

// ErrWebhookIDStoreFull is returned by MemoryWebhookIDStore.Reserve when
// every entry is a reservation still in progress; the handler answers 500
// and the platform retries later.
var ErrWebhookIDStoreFull = errors.New("tokenim: webhook id store is full")

// MemoryWebhookIDStore is the in-process WebhookIDStore WebhookHandler uses
// by default. Its memory is bounded: handled ids are forgotten after TTL,
// and when MaxEntries are held the oldest handled id is forgotten first.
// Reservations in progress are never evicted, which is what keeps concurrent
// duplicates from running twice. The zero value is ready to use; set the
// fields before first use. It is safe for concurrent use.
type MemoryWebhookIDStore struct {
	// TTL is how long a handled id is remembered (default DefaultWebhookIDTTL).
	TTL time.Duration
	// MaxEntries bounds the ids held (default DefaultWebhookIDMaxEntries).
	MaxEntries int
	// Now is the store's clock (default time.Now).
	Now func() time.Time

	mu      sync.Mutex
	entries map[string]*list.Element // of *memoryWebhookID
	// order holds entries by last change; handled entries, all with the same
	// TTL, are therefore also in order of expiry.
	order list.List
}

type memoryWebhookID struct {
	id      string
	done    bool
	expires time.Time // when done
}

func (s *MemoryWebhookIDStore) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *MemoryWebhookIDStore) ttl() time.Duration {
	if s.TTL > 0 {
		return s.TTL
	}
	return DefaultWebhookIDTTL
}

func (s *MemoryWebhookIDStore) maxEntries() int {
	if s.MaxEntries > 0 {
		return s.MaxEntries
	}
	return DefaultWebhookIDMaxEntries
}

// Len reports how many ids the store holds, reserved or handled.
func (s *MemoryWebhookIDStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries)
}

// Reserve claims id; see WebhookIDStore.
func (s *MemoryWebhookIDStore) Reserve(_ context.Context, id string) (WebhookIDState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.entries == nil {
		s.entries = make(map[string]*list.Element)
	}
	now := s.now()
	s.dropExpired(now)
	if el, ok := s.entries[id]; ok {
		if el.Value.(*memoryWebhookID).done {
			return WebhookIDDone, nil
		}
		return WebhookIDInProgress, nil
	}
	if len(s.entries) >= s.maxEntries() && !s.evictOldestDone() {
		return 0, fmt.Errorf("%w: %d reservations in progress", ErrWebhookIDStoreFull, len(s.entries))
	}
	s.entries[id] = s.order.PushBack(&memoryWebhookID{id: id})
	return WebhookIDReserved, nil
}

// Release forgets a reservation; see WebhookIDStore. Releasing an id that
// is unknown or already done does nothing.
func (s *MemoryWebhookIDStore) Release(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.entries[id]; ok && !el.Value.(*memoryWebhookID).done {
		s.order.Remove(el)
		delete(s.entries, id)
	}
	return nil
}

// Done marks id handled for TTL; see WebhookIDStore.
func (s *MemoryWebhookIDStore) Done(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.entries == nil {
		s.entries = make(map[string]*list.Element)
	}
	e := &memoryWebhookID{id: id, done: true, expires: s.now().Add(s.ttl())}
	if el, ok := s.entries[id]; ok {
		el.Value = e
		s.order.MoveToBack(el)
		return nil
	}
	if len(s.entries) >= s.maxEntries() && !s.evictOldestDone() {
		return fmt.Errorf("%w: %d reservations in progress", ErrWebhookIDStoreFull, len(s.entries))
	}
	s.entries[id] = s.order.PushBack(e)
	return nil
}

// dropExpired removes handled entries whose TTL has passed. Reservations in
// progress are skipped; there are at most as many as concurrent requests.
func (s *MemoryWebhookIDStore) dropExpired(now time.Time) {
	for el := s.order.Front(); el != nil; {
		next := el.Next()
		e := el.Value.(*memoryWebhookID)
		if e.done {
			if now.Before(e.expires) {
				return
			}
			s.order.Remove(el)
			delete(s.entries, e.id)
		}
		el = next
	}
}

// evictOldestDone forgets the handled entry changed longest ago and reports
// whether there was one.
func (s *MemoryWebhookIDStore) evictOldestDone() bool {
	for el := s.order.Front(); el != nil; el = el.Next() {
		if e := el.Value.(*memoryWebhookID); e.done {
			s.order.Remove(el)
			delete(s.entries, e.id)
			return true
		}
	}
	return false
}
