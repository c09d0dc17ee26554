package tokenimriver_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite" // registers "sqlite"

	tokenim "github.com/tokenim/tokenim-go"
	tokenimriver "github.com/tokenim/tokenim-go/river"
	"github.com/tokenim/tokenim-go/sandbox"
	"github.com/tokenim/tokenim-go/tokenimtest"
)

// postgresEnv names the PostgreSQL the tests may create schemas in
// (.ci/run starts a throwaway cluster and sets it).
const postgresEnv = "TOKENIM_TEST_POSTGRES_URL"

// sqliteDB opens a fresh SQLite database with River's tables and a
// merchant's orders table. One connection, as riversqlite advises.
func sqliteDB(t *testing.T) *sql.DB {
	t.Helper()
	return sqliteDBAt(t, "file:"+filepath.Join(t.TempDir(), "shop.db")+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_txlock=immediate")
}

// sqliteDBAt is sqliteDB on the database dsn names.
func sqliteDBAt(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", dsn)
	require.NoError(t, err)
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = db.Close() })
	ctx := context.Background()
	m, err := rivermigrate.New(riversqlite.New(db), nil)
	require.NoError(t, err)
	_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, `CREATE TABLE shop_orders (ref TEXT PRIMARY KEY, order_id TEXT NOT NULL)`)
	require.NoError(t, err)
	return db
}

// engine runs the same test body on SQLite and, when PostgreSQL is set up,
// on PostgreSQL through pgx.
// riverdriverOf is a River driver with transactions of type TTx.
type riverdriverOf[TTx any] = riverdriver.Driver[TTx]

type engine[TTx any] struct {
	driver   riverdriver.Driver[TTx]
	begin    func(ctx context.Context) (TTx, error)
	exec     func(ctx context.Context, tx TTx, q string, args ...any) error
	commit   func(ctx context.Context, tx TTx) error
	rollback func(ctx context.Context, tx TTx) error
	count    func(ctx context.Context, q string) int
}

// newClient starts a River client with the package's workers on the
// engine; it is stopped at cleanup.
func newClient[TTx any](t *testing.T, d riverdriver.Driver[TTx], cfg tokenimriver.Config, workers bool) *river.Client[TTx] {
	t.Helper()
	rcfg := &river.Config{Logger: nil, TestOnly: true, FetchPollInterval: 50 * time.Millisecond, FetchCooldown: 20 * time.Millisecond}
	if workers {
		w := river.NewWorkers()
		require.NoError(t, tokenimriver.AddWorkers(w, cfg))
		rcfg.Workers = w
		rcfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 4}}
	}
	rc, err := river.NewClient(d, rcfg)
	require.NoError(t, err)
	if workers {
		require.NoError(t, rc.Start(context.Background()))
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_ = rc.Stop(ctx)
		})
	}
	return rc
}

// waitFinal waits for n jobs to end (completed, cancelled or discarded),
// with a safety net that only catches a hang.
func waitFinal[TTx any](t *testing.T, rc *river.Client[TTx], sub <-chan *river.Event, n int) []*rivertype.JobRow {
	t.Helper()
	var out []*rivertype.JobRow
	deadline := time.After(2 * time.Minute)
	for len(out) < n {
		select {
		case ev := <-sub:
			out = append(out, ev.Job)
		case <-deadline:
			t.Fatalf("only %d of %d jobs ended", len(out), n)
		}
	}
	return out
}

func finalKinds() []river.EventKind {
	return []river.EventKind{river.EventKindJobCompleted, river.EventKindJobCancelled, river.EventKindJobFailed}
}

// payments counts the platform's payments of an order by status.
func payments(t *testing.T, c *tokenim.Client, orderID string) map[tokenim.PaymentStatus]int {
	t.Helper()
	out := map[tokenim.PaymentStatus]int{}
	for p, err := range c.Payments.All(context.Background(), &tokenim.PaymentListParams{OrderID: orderID}) {
		require.NoError(t, err)
		out[p.Status]++
	}
	return out
}

func newOrder(t *testing.T, c *tokenim.Client, ref string, amount int64) *tokenim.Order {
	t.Helper()
	o, err := c.Orders.Create(context.Background(), &tokenim.OrderCreateParams{MerchantOrderID: ref, Amount: amount, Currency: "CNY"})
	require.NoError(t, err)
	return o
}

func TestPaymentArgs_refusesCardsAndNamesWhatIsWrong(t *testing.T) {
	t.Parallel()
	_, err := tokenimriver.PaymentArgs(&tokenim.PaymentCreateParams{OrderID: "ord_1", Method: tokenim.Card("4242424242424242", 12, 2040, "123")})
	require.ErrorIs(t, err, tokenimriver.ErrCardInJob)
	assert.NotContains(t, err.Error(), "4242424242424242")
	_, err = tokenimriver.PaymentArgs(&tokenim.PaymentCreateParams{OrderID: "pay_1", Method: tokenim.BankTransfer()})
	assert.ErrorContains(t, err, "not an order id")
	_, err = tokenimriver.PaymentArgs(&tokenim.PaymentCreateParams{OrderID: "ord_1", Method: tokenim.PaymentMethodParams{Type: tokenim.PaymentMethodTypeWallet}})
	assert.ErrorContains(t, err, "provider")
	_, err = tokenimriver.PaymentArgs(nil)
	assert.Error(t, err)
	a, err := tokenimriver.PaymentArgs(&tokenim.PaymentCreateParams{OrderID: "ord_1", Method: tokenim.Wallet(tokenim.WalletAlipay)})
	require.NoError(t, err)
	b, err := tokenimriver.PaymentArgs(&tokenim.PaymentCreateParams{OrderID: "ord_1", Method: tokenim.Wallet(tokenim.WalletAlipay)})
	require.NoError(t, err)
	assert.NotEqual(t, a.IdempotencyKey, b.IdempotencyKey, "each insert mints a fresh key")

	_, err = tokenimriver.RefundArgs("", &tokenim.RefundCreateParams{PaymentID: "pay_1", Amount: 5})
	assert.ErrorContains(t, err, "reference")
	_, err = tokenimriver.RefundArgs("R-1", &tokenim.RefundCreateParams{PaymentID: "pay_1"})
	assert.ErrorContains(t, err, "Remaining")
}

// checkout is the body every engine runs: the order row and its payment job
// commit or roll back together, a double click inserts one job, the job
// pays the order once, and its outcome is readable.
func checkout[TTx any](t *testing.T, e engine[TTx]) {
	ctx := context.Background()
	client, srv := tokenimtest.Start(t, sandbox.WithFrozenClock(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)))
	rc := newClient(t, e.driver, tokenimriver.Config{Client: client}, true)
	sub, cancel := rc.Subscribe(finalKinds()...)
	defer cancel()
	_ = srv

	// Rolled back: neither the row nor the job.
	lost := newOrder(t, client, "A-rollback", 1999)
	tx, err := e.begin(ctx)
	require.NoError(t, err)
	require.NoError(t, e.exec(ctx, tx, `INSERT INTO shop_orders (ref, order_id) VALUES ('A-rollback', '`+lost.ID+`')`))
	_, err = tokenimriver.InsertPaymentTx(ctx, rc, tx, &tokenim.PaymentCreateParams{OrderID: lost.ID, Method: tokenim.Wallet(tokenim.WalletAlipay)}, nil)
	require.NoError(t, err)
	require.NoError(t, e.rollback(ctx, tx))
	assert.Equal(t, 0, e.count(ctx, `SELECT count(*) FROM shop_orders`))
	assert.Equal(t, 0, e.count(ctx, `SELECT count(*) FROM river_job`))

	// Committed, with a double click: one row, one job.
	order := newOrder(t, client, "A-1001", 1999)
	tx, err = e.begin(ctx)
	require.NoError(t, err)
	require.NoError(t, e.exec(ctx, tx, `INSERT INTO shop_orders (ref, order_id) VALUES ('A-1001', '`+order.ID+`')`))
	first, err := tokenimriver.InsertPaymentTx(ctx, rc, tx, &tokenim.PaymentCreateParams{OrderID: order.ID, Method: tokenim.Wallet(tokenim.WalletAlipay)}, nil)
	require.NoError(t, err)
	second, err := tokenimriver.InsertPaymentTx(ctx, rc, tx, &tokenim.PaymentCreateParams{OrderID: order.ID, Method: tokenim.Wallet(tokenim.WalletAlipay)}, nil)
	require.NoError(t, err)
	require.NoError(t, e.commit(ctx, tx))
	assert.False(t, first.UniqueSkippedAsDuplicate)
	assert.True(t, second.UniqueSkippedAsDuplicate, "a double click inserts one charge")
	assert.Equal(t, first.Job.ID, second.Job.ID)

	// A wallet with insufficient funds: the job ends (cancelled), its
	// outcome says why.
	poor := newOrder(t, client, "A-1002", 2051)
	_, err = rc.Insert(ctx, mustArgs(t, &tokenim.PaymentCreateParams{OrderID: poor.ID, Method: tokenim.Wallet(tokenim.WalletTokenimBalance)}), nil)
	require.NoError(t, err)

	ended := waitFinal(t, rc, sub, 2)
	byOrder := map[string]tokenimriver.Outcome{}
	for _, j := range ended {
		fresh, err := rc.JobGet(ctx, j.ID)
		require.NoError(t, err)
		o, ok, err := tokenimriver.OutcomeOf(fresh)
		require.NoError(t, err)
		require.True(t, ok, "job %d has an outcome", j.ID)
		byOrder[o.OrderID] = o
		if o.OrderID == order.ID {
			assert.Equal(t, rivertype.JobStateCompleted, fresh.State)
		} else {
			assert.Equal(t, rivertype.JobStateCancelled, fresh.State, "a decline ends the job")
		}
	}
	ok := byOrder[order.ID]
	assert.True(t, ok.Succeeded())
	assert.Equal(t, "succeeded", ok.Status)
	assert.Regexp(t, `^pay_`, ok.ObjectID)
	failed := byOrder[poor.ID]
	assert.False(t, failed.Succeeded())
	assert.NotEmpty(t, failed.Code)
	assert.Regexp(t, `^pay_`, failed.ObjectID, "the declined payment is named")

	assert.Equal(t, map[tokenim.PaymentStatus]int{tokenim.PaymentStatusSucceeded: 1}, payments(t, client, order.ID))
	assert.Empty(t, payments(t, client, lost.ID), "a rolled-back order was never charged")
}

// unknownOutcome: every attempt's answer is lost after the platform
// committed it, until the faults are lifted; River's retry re-drives the
// same key and the order is paid once.
func unknownOutcome[TTx any](t *testing.T, e engine[TTx]) {
	ctx := context.Background()
	client, srv := tokenimtest.Start(t, sandbox.WithFrozenClock(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)))
	client = tokenimtest.NewClient(t, srv, tokenim.WithMaxRetries(1))
	require.NoError(t, srv.SetFaults(sandbox.FaultPlan{Seed: 1, Rules: []sandbox.FaultRule{
		{Method: "POST", Path: "/v1/payments", Kind: sandbox.FaultDropAfterCommit, Rate: 1},
	}}))
	rc := newClient(t, e.driver, tokenimriver.Config{Client: client}, true)
	failedSub, cancelFailed := rc.Subscribe(river.EventKindJobFailed)
	defer cancelFailed()
	sub, cancel := rc.Subscribe(river.EventKindJobCompleted, river.EventKindJobCancelled)
	defer cancel()

	order := newOrder(t, client, "U-1", 1999)
	res, err := rc.Insert(ctx, mustArgs(t, &tokenim.PaymentCreateParams{OrderID: order.ID, Method: tokenim.BankTransfer()}), nil)
	require.NoError(t, err)
	select {
	case ev := <-failedSub:
		assert.Contains(t, ev.Job.Errors[len(ev.Job.Errors)-1].Error, "outcome")
	case <-time.After(2 * time.Minute):
		t.Fatal("the job never failed its first attempt")
	}
	srv.ClearFaults()
	ended := waitFinal(t, rc, sub, 1)
	require.Equal(t, res.Job.ID, ended[0].ID)
	assert.Equal(t, rivertype.JobStateCompleted, ended[0].State)
	assert.GreaterOrEqual(t, ended[0].Attempt, 2)
	assert.Equal(t, 1, total(payments(t, client, order.ID)), "the retry replayed the same key: one payment")
}

func total(m map[tokenim.PaymentStatus]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func mustArgs(t *testing.T, p *tokenim.PaymentCreateParams) tokenimriver.PaymentCreateArgs {
	t.Helper()
	a, err := tokenimriver.PaymentArgs(p)
	require.NoError(t, err)
	return a
}

func sqliteEngine(t *testing.T) engine[*sql.Tx] {
	db := sqliteDB(t)
	return engine[*sql.Tx]{
		driver: riversqlite.New(db),
		begin:  func(ctx context.Context) (*sql.Tx, error) { return db.BeginTx(ctx, nil) },
		exec: func(ctx context.Context, tx *sql.Tx, q string, args ...any) error {
			_, err := tx.ExecContext(ctx, q, args...)
			return err
		},
		commit:   func(_ context.Context, tx *sql.Tx) error { return tx.Commit() },
		rollback: func(_ context.Context, tx *sql.Tx) error { return tx.Rollback() },
		count: func(ctx context.Context, q string) int {
			var n int
			require.NoError(t, db.QueryRowContext(ctx, q).Scan(&n))
			return n
		},
	}
}

func TestCheckout_sqlite(t *testing.T) {
	t.Parallel()
	checkout(t, sqliteEngine(t))
}

func TestUnknownOutcome_sqlite(t *testing.T) {
	t.Parallel()
	unknownOutcome(t, sqliteEngine(t))
}

func TestCheckout_postgres(t *testing.T) {
	t.Parallel()
	checkout(t, pgEngine(t))
}

func TestUnknownOutcome_postgres(t *testing.T) {
	t.Parallel()
	unknownOutcome(t, pgEngine(t))
}

type pgxTx = pgx.Tx

func pgEngine(t *testing.T) engine[pgxTx] {
	pool := pgPool(t)
	return engine[pgxTx]{
		driver: riverpgxv5.New(pool),
		begin:  func(ctx context.Context) (pgxTx, error) { return pool.Begin(ctx) },
		exec: func(ctx context.Context, tx pgxTx, q string, args ...any) error {
			_, err := tx.Exec(ctx, q, args...)
			return err
		},
		commit:   func(ctx context.Context, tx pgxTx) error { return tx.Commit(ctx) },
		rollback: func(ctx context.Context, tx pgxTx) error { return tx.Rollback(ctx) },
		count: func(ctx context.Context, q string) int {
			var n int
			require.NoError(t, pool.QueryRow(ctx, q).Scan(&n))
			return n
		},
	}
}

// pgPool returns a pool on a fresh schema of its own (River's tables and
// the shop's), or skips the test without PostgreSQL.
func pgPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool, _ := pgPoolSchema(t)
	return pool
}

// pgPoolSchema is pgPool, also naming the schema.
func pgPoolSchema(t testing.TB) (*pgxpool.Pool, string) {
	t.Helper()
	base := os.Getenv(postgresEnv)
	if base == "" {
		t.Skipf("PostgreSQL test skipped: set %s to a PostgreSQL URL to run it (.ci/run starts a throwaway cluster)", postgresEnv)
	}
	ctx := context.Background()
	schema := "rvr_" + tokenimriver.NewIdempotencyKey()[4:16]
	admin, err := pgxpool.New(ctx, base)
	require.NoError(t, err)
	_, err = admin.Exec(ctx, `CREATE SCHEMA `+schema)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, _ = admin.Exec(context.Background(), `DROP SCHEMA `+schema+` CASCADE`)
		admin.Close()
	})
	cfg, err := pgxpool.ParseConfig(base)
	require.NoError(t, err)
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	m, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	require.NoError(t, err)
	_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `CREATE TABLE shop_orders (ref TEXT PRIMARY KEY, order_id TEXT NOT NULL)`)
	require.NoError(t, err)
	return pool, schema
}

// pastKeyLifetime: the answer to the first attempt is lost and the retry
// comes after the platform forgot the key (the sandbox clock moved 25 h).
// The retry looks the order's payments up by the key in their metadata
// (journal.RedrivePayment) and finds the payment: the job completes with
// it, and nothing is sent again.
func pastKeyLifetime[TTx any](t *testing.T, e engine[TTx]) {
	ctx := context.Background()
	_, srv := tokenimtest.Start(t, sandbox.WithFrozenClock(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)))
	client := tokenimtest.NewClient(t, srv, tokenim.WithMaxRetries(0))
	require.NoError(t, srv.SetFaults(sandbox.FaultPlan{Seed: 1, Rules: []sandbox.FaultRule{
		{Method: "POST", Path: "/v1/payments", Kind: sandbox.FaultDropAfterCommit, Rate: 1},
	}}))
	// Every retry counts as past the key's lifetime.
	rc := newClient(t, e.driver, tokenimriver.Config{Client: client, KeyLifetime: time.Nanosecond,
		Backoff: func(int) time.Duration { return 10 * time.Millisecond }}, false)
	order := newOrder(t, client, "L-1", 1999)
	res, err := rc.Insert(ctx, mustArgs(t, &tokenim.PaymentCreateParams{OrderID: order.ID, Method: tokenim.BankTransfer()}), nil)
	require.NoError(t, err)

	w := river.NewWorkers()
	require.NoError(t, tokenimriver.AddWorkers(w, tokenimriver.Config{Client: client, KeyLifetime: time.Nanosecond,
		Backoff: func(int) time.Duration { return 10 * time.Millisecond }}))
	worker, err := river.NewClient(e.driver, &river.Config{Workers: w, TestOnly: true,
		Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 1}}, FetchPollInterval: 50 * time.Millisecond, FetchCooldown: 20 * time.Millisecond})
	require.NoError(t, err)
	failed, cancelFailed := worker.Subscribe(river.EventKindJobFailed)
	defer cancelFailed()
	ended, cancelEnded := worker.Subscribe(river.EventKindJobCompleted, river.EventKindJobCancelled)
	defer cancelEnded()
	require.NoError(t, worker.Start(ctx))
	defer func() { _ = worker.Stop(context.Background()) }()
	select {
	case <-failed:
	case <-time.After(2 * time.Minute):
		t.Fatal("the first attempt never failed")
	}
	srv.ClearFaults()
	srv.Advance(25 * time.Hour) // the platform forgets the key
	select {
	case ev := <-ended:
		require.Equal(t, res.Job.ID, ev.Job.ID)
		require.Equal(t, rivertype.JobStateCompleted, ev.Job.State, "the retry found the payment the key made")
		o, ok, err := tokenimriver.OutcomeOf(ev.Job)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Regexp(t, `^pay_`, o.ObjectID)
	case <-time.After(2 * time.Minute):
		t.Fatal("the job never ended")
	}
	assert.Equal(t, 1, total(payments(t, client, order.ID)))
}

func TestPastKeyLifetime_sqlite(t *testing.T) {
	t.Parallel()
	pastKeyLifetime(t, sqliteEngine(t))
}

func TestPastKeyLifetime_postgres(t *testing.T) {
	t.Parallel()
	pastKeyLifetime(t, pgEngine(t))
}
