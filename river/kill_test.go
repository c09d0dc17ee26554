package tokenimriver_test

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tokenim "github.com/tokenim/tokenim-go"
	tokenimriver "github.com/tokenim/tokenim-go/river"
	"github.com/tokenim/tokenim-go/sandbox"
	"github.com/tokenim/tokenim-go/tokenimtest"
)

var (
	killsFlag  = flag.Int("kill.kills", 20, "SIGKILLs of worker processes in TestKill (500 for the long form)")
	ordersFlag = flag.Int("kill.orders", 200, "orders checked out in TestKill")
)

// The child: a worker process of TestKill. It works the package's jobs
// against the parent's sandbox and, with KILL_PERCENT chance per job,
// SIGKILLs itself before the call or after it (the effect made, the job not
// yet marked), at a random point of its own choosing rather than at a time
// the parent guesses.
const childEnv = "TOKENIMRIVER_KILL_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(runChild())
	}
	os.Exit(m.Run())
}

func runChild() int {
	ctx := context.Background()
	percent, _ := strconv.Atoi(os.Getenv("KILL_PERCENT"))
	client, err := tokenim.NewClient(os.Getenv("KILL_API_KEY"), tokenim.WithBaseURL(os.Getenv("KILL_BASE_URL")),
		tokenim.WithMerchantID(os.Getenv("KILL_MERCHANT")), tokenim.WithRetryWait(5*time.Millisecond, 50*time.Millisecond))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	workers := river.NewWorkers()
	if err := tokenimriver.AddWorkers(workers, tokenimriver.Config{Client: client,
		Backoff: func(int) time.Duration { return 200 * time.Millisecond }}); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	die := river.WorkerMiddlewareFunc(func(ctx context.Context, job *rivertype.JobRow, inner func(context.Context) error) error {
		if rand.IntN(100) < percent/2 {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		}
		err := inner(ctx)
		if rand.IntN(100) < percent-percent/2 {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		}
		return err
	})
	cfg := &river.Config{
		Workers:              workers,
		WorkerMiddleware:     []rivertype.WorkerMiddleware{die},
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 4}},
		FetchPollInterval:    50 * time.Millisecond,
		FetchCooldown:        20 * time.Millisecond,
		RescueStuckJobsAfter: 6 * time.Second,
		JobTimeout:           5 * time.Second,
	}
	switch os.Getenv("KILL_ENGINE") {
	case "sqlite":
		db, err := sql.Open("sqlite", os.Getenv("KILL_DSN"))
		if err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 2
		}
		db.SetMaxOpenConns(1)
		return work(ctx, riversqlite.New(db), cfg)
	default:
		pcfg, err := pgxpool.ParseConfig(os.Getenv("KILL_DSN"))
		if err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 2
		}
		pcfg.ConnConfig.RuntimeParams["search_path"] = os.Getenv("KILL_SCHEMA")
		pool, err := pgxpool.NewWithConfig(ctx, pcfg)
		if err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 2
		}
		return work(ctx, riverpgxv5.New(pool), cfg)
	}
}

func work[TTx any](ctx context.Context, d riverdriverOf[TTx], cfg *river.Config) int {
	rc, err := river.NewClient(d, cfg)
	if err == nil {
		err = rc.Start(ctx)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	<-rc.Stopped()
	return 0
}

// TestKill checks out orders through River jobs while four worker processes
// on one database are SIGKILLed at random points and restarted, against a
// sandbox that drops 20 % of payment and refund answers after committing
// them. At the end every order is paid exactly once, every refund ran once,
// and no job is left unfinished.
func TestKill_sqlite(t *testing.T) {
	if testing.Short() {
		t.Skip("kill test: slow")
	}
	t.Parallel()
	path := filepath.Join(t.TempDir(), "shop.db")
	dsn := "file:" + path + "?_pragma=busy_timeout(20000)&_pragma=journal_mode(WAL)&_txlock=immediate"
	db := sqliteDBAt(t, dsn)
	killTest(t, riversqlite.New(db), "sqlite", dsn, "")
}

func TestKill_postgres(t *testing.T) {
	if testing.Short() {
		t.Skip("kill test: slow")
	}
	t.Parallel()
	pool, schema := pgPoolSchema(t)
	killTest(t, riverpgxv5.New(pool), "postgres", os.Getenv(postgresEnv), schema)
}

func killTest[TTx any](t *testing.T, d riverdriverOf[TTx], engine, dsn, schema string) {
	ctx := context.Background()
	client, srv := tokenimtest.Start(t, sandbox.WithFrozenClock(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)))
	require.NoError(t, srv.SetFaults(sandbox.FaultPlan{Seed: 7, Rules: []sandbox.FaultRule{
		{Method: "POST", Path: "/v1/payments", Kind: sandbox.FaultDropAfterCommit, Rate: 0.2},
		{Method: "POST", Path: "/v1/refunds", Kind: sandbox.FaultDropAfterCommit, Rate: 0.2},
	}}))
	// Insert-only: the parent works no job.
	rc, err := river.NewClient(d, &river.Config{})
	require.NoError(t, err)

	orders := make([]*tokenim.Order, *ordersFlag)
	for i := range orders {
		orders[i] = newOrder(t, tokenimtest.NewClient(t, srv), fmt.Sprintf("K-%04d", i), 1000+int64(i))
		_, err := rc.Insert(ctx, mustArgs(t, &tokenim.PaymentCreateParams{OrderID: orders[i].ID, Method: tokenim.Wallet(tokenim.WalletAlipay)}), nil)
		require.NoError(t, err)
	}

	f := newFleet(t, engine, dsn, schema, srv, 4, *killsFlag)
	defer f.stop()

	// Once every payment job has ended, refund every fourth order in full.
	waitJobs(t, ctx, rc, len(orders), f)
	paid := map[string]string{} // order → payment
	for j, err := range jobs(ctx, rc) {
		require.NoError(t, err)
		o, ok, err := tokenimriver.OutcomeOf(j)
		require.NoError(t, err)
		require.True(t, ok, "job %d (%s) has no outcome", j.ID, j.State)
		require.True(t, o.Succeeded(), "job %d: %+v", j.ID, o)
		paid[o.OrderID] = o.ObjectID
	}
	require.Len(t, paid, len(orders))
	refunds := 0
	for i, o := range orders {
		if i%4 != 0 {
			continue
		}
		args, err := tokenimriver.RefundArgs("RMA-"+o.ID, &tokenim.RefundCreateParams{PaymentID: paid[o.ID], Remaining: true})
		require.NoError(t, err)
		_, err = rc.Insert(ctx, args, nil)
		require.NoError(t, err)
		refunds++
	}
	waitJobs(t, ctx, rc, len(orders)+refunds, f)
	f.stop()

	for _, o := range orders {
		assert.Equal(t, map[tokenim.PaymentStatus]int{tokenim.PaymentStatusSucceeded: 1}, payments(t, client, o.ID), "order %s", o.ID)
	}
	byPayment := map[string]int{}
	for r, err := range client.Refunds.All(ctx, &tokenim.RefundListParams{}) {
		require.NoError(t, err)
		byPayment[r.PaymentID]++
	}
	assert.Len(t, byPayment, refunds)
	for p, n := range byPayment {
		assert.Equal(t, 1, n, "payment %s refunded %d times", p, n)
	}
	for j, err := range jobs(ctx, rc) {
		require.NoError(t, err)
		assert.Equal(t, rivertype.JobStateCompleted, j.State, "job %d", j.ID)
	}
	t.Logf("%s: %d orders paid once each, %d refunds once each, %d worker processes SIGKILLed, %d process starts",
		engine, len(orders), refunds, f.killed(), f.started())
	assert.GreaterOrEqual(t, f.killed(), *killsFlag)
}

// jobs lists every job of the database.
func jobs[TTx any](ctx context.Context, rc *river.Client[TTx]) func(func(*rivertype.JobRow, error) bool) {
	return func(yield func(*rivertype.JobRow, error) bool) {
		params := river.NewJobListParams().First(10000)
		res, err := rc.JobList(ctx, params)
		if err != nil {
			yield(nil, err)
			return
		}
		for _, j := range res.Jobs {
			if !yield(j, nil) {
				return
			}
		}
	}
}

// waitJobs waits until n jobs are completed or cancelled, with a safety
// net that only catches a hang (nothing happens for 3 minutes).
func waitJobs[TTx any](t *testing.T, ctx context.Context, rc *river.Client[TTx], n int, f *fleet) {
	t.Helper()
	last, lastChange := -1, time.Now()
	for {
		res, err := rc.JobList(ctx, river.NewJobListParams().States(rivertype.JobStateCompleted, rivertype.JobStateCancelled, rivertype.JobStateDiscarded).First(10000))
		require.NoError(t, err)
		done := len(res.Jobs)
		if done >= n {
			return
		}
		if done != last {
			last, lastChange = done, time.Now()
		}
		if time.Since(lastChange) > 3*time.Minute {
			t.Fatalf("stuck at %d of %d jobs done (%d kills)", done, n, f.killed())
		}
		time.Sleep(100 * time.Millisecond) // polling River's table, not waiting for the sandbox
	}
}

// fleet runs worker processes, restarting each one that dies, killing
// itself at random until the wanted number of kills is reached.
type fleet struct {
	t       *testing.T
	env     []string
	wanted  int
	mu      sync.Mutex
	kills   int
	starts  int
	procs   map[*exec.Cmd]bool
	stopped bool
	wg      sync.WaitGroup
}

func newFleet(t *testing.T, engine, dsn, schema string, srv *sandbox.Server, n, kills int) *fleet {
	f := &fleet{t: t, wanted: kills, procs: map[*exec.Cmd]bool{}, env: append(os.Environ(),
		childEnv+"=1", "KILL_ENGINE="+engine, "KILL_DSN="+dsn, "KILL_SCHEMA="+schema,
		"KILL_BASE_URL="+srv.URL, "KILL_API_KEY="+srv.APIKey(), "KILL_MERCHANT="+srv.MerchantID)}
	for range n {
		f.start()
	}
	return f
}

func (f *fleet) start() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		return
	}
	percent := 10
	if f.kills >= f.wanted {
		percent = 0
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(f.env, "KILL_PERCENT="+strconv.Itoa(percent))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		f.t.Errorf("start worker: %v", err)
		return
	}
	f.starts++
	f.procs[cmd] = true
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		err := cmd.Wait()
		f.mu.Lock()
		delete(f.procs, cmd)
		stopped := f.stopped
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL && !stopped {
			f.kills++
		} else if !stopped {
			f.t.Errorf("worker exited on its own: %v", err)
		}
		f.mu.Unlock()
		if !stopped {
			f.start()
		}
	}()
}

func (f *fleet) stop() {
	f.mu.Lock()
	f.stopped = true
	for cmd := range f.procs {
		_ = cmd.Process.Kill()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

func (f *fleet) killed() int  { f.mu.Lock(); defer f.mu.Unlock(); return f.kills }
func (f *fleet) started() int { f.mu.Lock(); defer f.mu.Unlock(); return f.starts }
