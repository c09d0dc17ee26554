package webhookstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tokenim "github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/internal/sqltest"
	"github.com/tokenim/tokenim-go/webhookstore"
)

func forEachEngine(t *testing.T, fn func(t *testing.T, d *sqltest.DB)) {
	for _, engine := range sqltest.Engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			fn(t, sqltest.New(t, engine))
		})
	}
}

func newStore(t *testing.T, db *sql.DB, opts ...webhookstore.Option) *webhookstore.Store {
	t.Helper()
	require.NoError(t, webhookstore.Migrate(context.Background(), db))
	s, err := webhookstore.New(db, opts...)
	require.NoError(t, err)
	return s
}

func reserve(t *testing.T, s tokenim.WebhookIDStore, id string) tokenim.WebhookIDState {
	t.Helper()
	st, err := s.Reserve(context.Background(), id)
	require.NoError(t, err)
	return st
}

// The store answers as MemoryWebhookIDStore does, call for call.
func TestStore_matchesMemoryStore(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, d *sqltest.DB) {
		ctx := context.Background()
		sql := newStore(t, d.Open())
		mem := &tokenim.MemoryWebhookIDStore{}
		for _, s := range []tokenim.WebhookIDStore{mem, sql} {
			name := fmt.Sprintf("%T", s)
			assert.Equal(t, tokenim.WebhookIDReserved, reserve(t, s, "msg_1"), name)
			assert.Equal(t, tokenim.WebhookIDInProgress, reserve(t, s, "msg_1"), name)
			require.NoError(t, s.Release(ctx, "msg_1"))
			assert.Equal(t, tokenim.WebhookIDReserved, reserve(t, s, "msg_1"), name+": released id is claimable again")
			require.NoError(t, s.Done(ctx, "msg_1"))
			assert.Equal(t, tokenim.WebhookIDDone, reserve(t, s, "msg_1"), name)
			require.NoError(t, s.Release(ctx, "msg_1"), name)
			assert.Equal(t, tokenim.WebhookIDDone, reserve(t, s, "msg_1"), name+": release of a handled id does nothing")
			require.NoError(t, s.Release(ctx, "msg_unknown"), name)
			require.NoError(t, s.Done(ctx, "msg_never_reserved"), name)
			assert.Equal(t, tokenim.WebhookIDDone, reserve(t, s, "msg_never_reserved"), name)
		}
	})
}

// An instance that dies holding a claim loses it when the lease ends; its
// late Release then cannot drop the new holder's claim.
func TestStore_leaseLapsesToAnotherInstance(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, d *sqltest.DB) {
		ctx := context.Background()
		clock := sqltest.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
		a := newStore(t, d.Open(), webhookstore.WithClock(clock.Now), webhookstore.WithLease(30*time.Second))
		b := newStore(t, d.Open(), webhookstore.WithClock(clock.Now), webhookstore.WithLease(30*time.Second))

		assert.Equal(t, tokenim.WebhookIDReserved, reserve(t, a, "msg_1"))
		clock.Advance(29 * time.Second)
		assert.Equal(t, tokenim.WebhookIDInProgress, reserve(t, b, "msg_1"), "lease still running")
		clock.Advance(time.Second)
		assert.Equal(t, tokenim.WebhookIDReserved, reserve(t, b, "msg_1"), "lease ended: b takes over")
		require.NoError(t, a.Release(ctx, "msg_1"))
		assert.Equal(t, tokenim.WebhookIDInProgress, reserve(t, a, "msg_1"), "a's late release left b's claim alone")
		require.NoError(t, b.Done(ctx, "msg_1"))
		clock.Advance(time.Hour)
		assert.Equal(t, tokenim.WebhookIDDone, reserve(t, a, "msg_1"), "a handled id is not subject to the lease")
	})
}

// Handled ids are forgotten after the TTL, and Sweep deletes them and
// lapsed claims, not live ones.
func TestStore_ttlAndSweep(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, d *sqltest.DB) {
		ctx := context.Background()
		clock := sqltest.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
		s := newStore(t, d.Open(), webhookstore.WithClock(clock.Now), webhookstore.WithTTL(time.Hour),
			webhookstore.WithLease(time.Minute), webhookstore.WithSweepInterval(0))
		require.NoError(t, s.Done(ctx, "msg_old"))
		assert.Equal(t, tokenim.WebhookIDReserved, reserve(t, s, "msg_dead_claim"))
		clock.Advance(59*time.Minute + 30*time.Second)
		assert.Equal(t, tokenim.WebhookIDReserved, reserve(t, s, "msg_live_claim"))
		require.NoError(t, s.Done(ctx, "msg_recent"))
		clock.Advance(30 * time.Second)

		n, err := s.Sweep(ctx)
		require.NoError(t, err)
		assert.Equal(t, int64(2), n, "msg_old (TTL passed) and msg_dead_claim (lease ended)")
		assert.Equal(t, tokenim.WebhookIDInProgress, reserve(t, s, "msg_live_claim"))
		assert.Equal(t, tokenim.WebhookIDDone, reserve(t, s, "msg_recent"))
		assert.Equal(t, tokenim.WebhookIDReserved, reserve(t, s, "msg_old"), "a forgotten id is new again")
	})
}

// The automatic sweep runs from Reserve once per interval.
func TestStore_reserveSweepsPeriodically(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, d *sqltest.DB) {
		ctx := context.Background()
		clock := sqltest.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
		db := d.Open()
		s := newStore(t, db, webhookstore.WithClock(clock.Now), webhookstore.WithTTL(time.Hour), webhookstore.WithSweepInterval(10*time.Minute))
		for i := range 5 {
			require.NoError(t, s.Done(ctx, fmt.Sprintf("msg_%d", i)))
		}
		clock.Advance(2 * time.Hour)
		reserve(t, s, "msg_new")
		var rows int
		require.NoError(t, db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+webhookstore.Table).Scan(&rows))
		assert.Equal(t, 1, rows, "expired rows swept, only the new claim left")
	})
}

// Of many instances reserving the same ids at once, exactly one wins each.
func TestStore_concurrentInstancesReserveOnce(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, d *sqltest.DB) {
		const instances, ids = 8, 40
		require.NoError(t, webhookstore.Migrate(context.Background(), d.Open()))
		stores := make([]*webhookstore.Store, instances)
		for i := range stores {
			stores[i] = newStore(t, d.Open())
		}
		var wins [ids]atomic.Int32
		var wg sync.WaitGroup
		errs := make(chan error, instances)
		for _, s := range stores {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range ids {
					st, err := s.Reserve(context.Background(), fmt.Sprintf("msg_%d", i))
					if err != nil {
						errs <- err
						return
					}
					if st == tokenim.WebhookIDReserved {
						wins[i].Add(1)
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		for i := range wins {
			assert.Equal(t, int32(1), wins[i].Load(), "msg_%d", i)
		}
	})
}

// Migrate is idempotent, safe from several instances at once, and refuses
// a database migrated by a newer program.
func TestMigrate(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, d *sqltest.DB) {
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			db := d.Open()
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = webhookstore.Migrate(ctx, db) }()
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		db := d.Open()
		require.NoError(t, webhookstore.Migrate(ctx, db))
		_, err := db.ExecContext(ctx, "UPDATE tokenim_schema_versions SET version = 99 WHERE component = 'webhook_ids'")
		require.NoError(t, err)
		err = webhookstore.Migrate(ctx, db)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "newer than this program")
	})
}

func TestNew_rejectsBadOptions(t *testing.T) {
	t.Parallel()
	db := sqltest.New(t, "sqlite").Open()
	for name, opt := range map[string]webhookstore.Option{
		"lease must be positive": webhookstore.WithLease(0),
		"ttl must be positive":   webhookstore.WithTTL(-time.Second),
		"clock must not be nil":  webhookstore.WithClock(nil),
	} {
		_, err := webhookstore.New(db, opt)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), name)
	}
	_, err := webhookstore.New(nil)
	assert.ErrorContains(t, err, "db must not be nil")
}
