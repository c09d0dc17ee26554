package tokenimriver_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	tokenim "github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/journal"
	tokenimriver "github.com/tokenim/tokenim-go/river"
	"github.com/tokenim/tokenim-go/tokenimtest"
)

// BenchmarkPayments compares wallet payments made with Payments.Create
// directly, through the journal (two writes around each call), and as River
// jobs (inserted in one transaction, then worked by one client with eight
// workers), each against an in-process sandbox. payments/s is the
// throughput; ns/op the cost per payment, so river/… minus direct is River's
// overhead per call.
//
//	cd river && go test -run '^$' -bench Payments -benchtime 2000x .
func BenchmarkPayments(b *testing.B) {
	orders := func(b *testing.B, c *tokenim.Client) []string {
		ctx := context.Background()
		out := make([]string, b.N)
		for i := range out {
			o, err := c.Orders.Create(ctx, &tokenim.OrderCreateParams{MerchantOrderID: fmt.Sprintf("bench-%d-%d", b.N, i), Amount: 1000, Currency: "USD"})
			require.NoError(b, err)
			out[i] = o.ID
		}
		return out
	}
	report := func(b *testing.B) {
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "payments/s")
	}
	b.Run("direct", func(b *testing.B) {
		c, _ := tokenimtest.Start(b)
		ids := orders(b, c)
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			_, err := c.Payments.Create(ctx, &tokenim.PaymentCreateParams{OrderID: ids[i], Method: tokenim.Wallet(tokenim.WalletAlipay)})
			require.NoError(b, err)
		}
		report(b)
	})
	b.Run("journal/sqlite", func(b *testing.B) {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(b.TempDir(), "j.db")+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
		require.NoError(b, err)
		defer db.Close()
		require.NoError(b, journal.Migrate(context.Background(), db))
		c, _ := tokenimtest.Start(b)
		j, err := journal.New(db, c)
		require.NoError(b, err)
		ids := orders(b, c)
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			_, err := j.CreatePayment(ctx, ids[i], &tokenim.PaymentCreateParams{OrderID: ids[i], Method: tokenim.Wallet(tokenim.WalletAlipay)})
			require.NoError(b, err)
		}
		report(b)
	})
	b.Run("river/sqlite", func(b *testing.B) {
		db := sqliteDBAt(b, "file:"+filepath.Join(b.TempDir(), "r.db")+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_txlock=immediate")
		benchRiver(b, riversqlite.New(db), orders, report)
	})
	b.Run("river/postgres", func(b *testing.B) {
		pool, _ := pgPoolSchema(b)
		benchRiver(b, riverpgxv5.New(pool), orders, report)
	})
}

func benchRiver[TTx any](b *testing.B, d riverdriverOf[TTx], orders func(*testing.B, *tokenim.Client) []string, report func(*testing.B)) {
	ctx := context.Background()
	c, _ := tokenimtest.Start(b)
	ids := orders(b, c)
	w := river.NewWorkers()
	require.NoError(b, tokenimriver.AddWorkers(w, tokenimriver.Config{Client: c}))
	rc, err := river.NewClient(d, &river.Config{Workers: w, Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 8}},
		FetchPollInterval: 20 * time.Millisecond, FetchCooldown: 5 * time.Millisecond})
	require.NoError(b, err)
	sub, cancel := rc.Subscribe(river.EventKindJobCompleted, river.EventKindJobCancelled, river.EventKindJobFailed)
	defer cancel()
	b.ReportAllocs()
	b.ResetTimer()
	params := make([]river.InsertManyParams, b.N)
	for i := range b.N {
		a, err := tokenimriver.PaymentArgs(&tokenim.PaymentCreateParams{OrderID: ids[i], Method: tokenim.Wallet(tokenim.WalletAlipay)})
		require.NoError(b, err)
		params[i] = river.InsertManyParams{Args: a}
	}
	_, err = rc.InsertMany(ctx, params)
	require.NoError(b, err)
	require.NoError(b, rc.Start(ctx))
	for n := 0; n < b.N; n++ {
		ev := <-sub
		if ev.Job.State != rivertype.JobStateCompleted {
			b.Fatalf("job %d ended %s", ev.Job.ID, ev.Job.State)
		}
	}
	b.StopTimer()
	report(b)
	stopCtx, stop := context.WithTimeout(ctx, 30*time.Second)
	defer stop()
	require.NoError(b, rc.Stop(stopCtx))
}
