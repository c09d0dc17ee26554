// Package webhookstore is a tokenim.WebhookIDStore on a SQL database, so
// that several instances of a webhook endpoint handle each event once
// between them. It uses only database/sql: open the *sql.DB with the driver
// of your choice — modernc.org/sqlite (embedded, pure Go) or
// github.com/jackc/pgx/v5/stdlib (PostgreSQL, for fleets). The schema and
// every statement are the same on both.
//
// A reservation is a claim with a lease: if the instance holding it dies
// before Done or Release, the claim lapses when the lease ends and the
// platform's next redelivery is handled by whichever instance receives it.
package webhookstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	tokenim "github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/internal/sqlschema"
)

// Table is the table the store keeps webhook-ids in.
const Table = "tokenim_webhook_ids"

// Defaults of a Store.
const (
	// DefaultLease outlasts the platform's 10-second wait for an endpoint's
	// answer (docs/tokenim-api.md §6) many times over: a claim older than
	// that belongs to an attempt the platform has already given up on.
	DefaultLease = time.Minute
	// DefaultSweepInterval is how often a Store deletes expired rows.
	DefaultSweepInterval = time.Minute
)

// schema holds the migration steps; a step, once released, never changes.
// Times are Unix milliseconds in BIGINT so that both engines compare them
// as integers.
var schema = [][]string{{
	`CREATE TABLE ` + Table + ` (
	id         TEXT PRIMARY KEY,
	state      TEXT NOT NULL,
	owner      TEXT NOT NULL,
	expires_at BIGINT NOT NULL
)`,
	`CREATE INDEX ` + Table + `_expires_at ON ` + Table + ` (expires_at)`,
}}

// Migrate creates the store's table, or upgrades it to this version's
// schema. Run it at start-up; concurrent runs from several instances are safe.
func Migrate(ctx context.Context, db *sql.DB) error {
	if err := sqlschema.Apply(ctx, db, "webhook_ids", schema); err != nil {
		return fmt.Errorf("webhookstore: %w", err)
	}
	return nil
}

// The row states.
const (
	stateClaimed = "claimed"
	stateDone    = "done"
)

const (
	// reserveSQL claims id unless a live row holds it: an unknown id is
	// inserted; a claim whose lease ended, or a handled id whose TTL
	// passed, is taken over. One statement, so that of concurrent callers
	// on any number of instances exactly one gets a row back.
	reserveSQL = `INSERT INTO ` + Table + ` (id, state, owner, expires_at) VALUES ($1, 'claimed', $2, $3)
ON CONFLICT (id) DO UPDATE SET state = 'claimed', owner = excluded.owner, expires_at = excluded.expires_at
WHERE ` + Table + `.expires_at <= $4
RETURNING state`
	stateSQL = `SELECT state FROM ` + Table + ` WHERE id = $1`
	// releaseSQL drops only this store's own claim: a claim that lapsed
	// and was taken over belongs to another instance now.
	releaseSQL = `DELETE FROM ` + Table + ` WHERE id = $1 AND state = 'claimed' AND owner = $2`
	doneSQL    = `INSERT INTO ` + Table + ` (id, state, owner, expires_at) VALUES ($1, 'done', $2, $3)
ON CONFLICT (id) DO UPDATE SET state = 'done', owner = excluded.owner, expires_at = excluded.expires_at`
	sweepSQL = `DELETE FROM ` + Table + ` WHERE expires_at <= $1`
)

// Store is a tokenim.WebhookIDStore on a SQL database. Create it with New;
// it is safe for concurrent use, and any number of Stores, in any number of
// processes, may share one database.
type Store struct {
	db         *sql.DB
	owner      string
	lease, ttl time.Duration
	sweepEvery time.Duration
	now        func() time.Time

	mu        sync.Mutex
	nextSweep time.Time
}

var _ tokenim.WebhookIDStore = (*Store)(nil)

// Option configures a Store.
type Option func(*Store)

// WithLease sets how long a reservation holds before another instance may
// take the id over (default DefaultLease). Make it longer than your
// handler function ever runs.
func WithLease(d time.Duration) Option { return func(s *Store) { s.lease = d } }

// WithTTL sets how long a handled id is remembered (default
// tokenim.DefaultWebhookIDTTL, which outlasts the platform's retries).
func WithTTL(d time.Duration) Option { return func(s *Store) { s.ttl = d } }

// WithSweepInterval sets how often Reserve deletes expired rows (default
// DefaultSweepInterval); 0 or less turns the automatic sweep off (call
// Sweep yourself).
func WithSweepInterval(d time.Duration) Option { return func(s *Store) { s.sweepEvery = d } }

// WithClock sets the store's clock (default time.Now). Instances sharing a
// database should have clocks that agree to well within the lease.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// WithOwner names this instance in the rows it claims (default: random).
// Two Stores must never share an owner name.
func WithOwner(name string) Option { return func(s *Store) { s.owner = name } }

// New returns a Store on db. Run Migrate once before first use.
func New(db *sql.DB, opts ...Option) (*Store, error) {
	if db == nil {
		return nil, errors.New("webhookstore: db must not be nil")
	}
	s := &Store{db: db, lease: DefaultLease, ttl: tokenim.DefaultWebhookIDTTL, sweepEvery: DefaultSweepInterval, now: time.Now}
	for _, o := range opts {
		if o != nil {
			o(s)
		}
	}
	switch {
	case s.lease <= 0:
		return nil, fmt.Errorf("webhookstore: lease must be positive, got %v", s.lease)
	case s.ttl <= 0:
		return nil, fmt.Errorf("webhookstore: ttl must be positive, got %v", s.ttl)
	case s.now == nil:
		return nil, errors.New("webhookstore: clock must not be nil")
	}
	if s.owner == "" {
		var b [12]byte
		_, _ = rand.Read(b[:])
		s.owner = hex.EncodeToString(b[:])
	}
	return s, nil
}

// Reserve claims id for handling and reports its previous state; see
// tokenim.WebhookIDStore.
func (s *Store) Reserve(ctx context.Context, id string) (tokenim.WebhookIDState, error) {
	now := s.now()
	s.maybeSweep(ctx, now)
	// A row can vanish between the two statements (its owner released
	// it, or a sweep took it); then the insert is tried again.
	for range 3 {
		var state string
		err := s.db.QueryRowContext(ctx, reserveSQL, id, s.owner, millis(now.Add(s.lease)), millis(now)).Scan(&state)
		if err == nil {
			return tokenim.WebhookIDReserved, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("webhookstore: reserve: %w", err)
		}
		err = s.db.QueryRowContext(ctx, stateSQL, id).Scan(&state)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			continue
		case err != nil:
			return 0, fmt.Errorf("webhookstore: reserve: %w", err)
		case state == stateDone:
			return tokenim.WebhookIDDone, nil
		default:
			return tokenim.WebhookIDInProgress, nil
		}
	}
	// Only a pathological churn of one id gets here; the handler answers
	// 500 and the platform delivers again.
	return 0, errors.New("webhookstore: reserve: id changed state three times during the call")
}

// Release drops this store's reservation of id after a failed attempt, so
// that the next delivery runs again. Releasing an id that is unknown, done
// or claimed by another instance does nothing.
func (s *Store) Release(ctx context.Context, id string) error {
	if _, err := s.db.ExecContext(ctx, releaseSQL, id, s.owner); err != nil {
		return fmt.Errorf("webhookstore: release: %w", err)
	}
	return nil
}

// Done marks id handled for the store's TTL.
func (s *Store) Done(ctx context.Context, id string) error {
	if _, err := s.db.ExecContext(ctx, doneSQL, id, s.owner, millis(s.now().Add(s.ttl))); err != nil {
		return fmt.Errorf("webhookstore: done: %w", err)
	}
	return nil
}

// Sweep deletes handled ids whose TTL has passed and claims whose lease
// ended, and reports how many rows it deleted.
func (s *Store) Sweep(ctx context.Context) (int64, error) {
	res, err := s.db.ExecContext(ctx, sweepSQL, millis(s.now()))
	if err != nil {
		return 0, fmt.Errorf("webhookstore: sweep: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// maybeSweep sweeps when the interval has passed. Only one caller of this
// Store sweeps at a time; a failed sweep is tried again next interval, as
// expired rows are also taken over by reserveSQL and never block anyone.
func (s *Store) maybeSweep(ctx context.Context, now time.Time) {
	if s.sweepEvery <= 0 {
		return
	}
	s.mu.Lock()
	due := !now.Before(s.nextSweep)
	if due {
		s.nextSweep = now.Add(s.sweepEvery)
	}
	s.mu.Unlock()
	if due {
		_, _ = s.Sweep(ctx)
	}
}

func millis(t time.Time) int64 { return t.UnixMilli() }
