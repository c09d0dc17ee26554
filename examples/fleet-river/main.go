// Command fleet-river checks out a shop's orders through River jobs: the
// order row and its payment job are inserted in one transaction of the
// shop's own database, so an order is never saved without its payment
// being attempted, and no payment is attempted for an order that was rolled
// back. A double click inserts one job; the platform's answer to some
// payments is lost after they executed, and River's retries re-send the
// same idempotency key, so each order is paid once. SQLite by default;
// -postgres URL runs the same on PostgreSQL.
//
//	go run .                       # in examples/fleet-river
//	go run . -postgres postgres://…
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	_ "modernc.org/sqlite" // the embedded default: pure Go, no cgo

	"github.com/tokenim/tokenim-go"
	tokenimriver "github.com/tokenim/tokenim-go/river"
	"github.com/tokenim/tokenim-go/sandbox"
)

func main() {
	pg := flag.String("postgres", "", "PostgreSQL URL (default: an SQLite file in a temporary directory)")
	flag.Parse()
	if err := start(context.Background(), os.Stdout, *pg); err != nil {
		fmt.Fprintln(os.Stderr, "fleet-river:", err)
		os.Exit(1)
	}
}

func start(ctx context.Context, out io.Writer, pg string) error {
	if pg != "" {
		pool, err := pgxpool.New(ctx, pg)
		if err != nil {
			return err
		}
		defer pool.Close()
		d := riverpgxv5.New(pool)
		return run(ctx, out, d, pgShop{pool})
	}
	dir, err := os.MkdirTemp("", "fleet-river")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "shop.db")+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // riversqlite's advice: one writer
	return run(ctx, out, riversqlite.New(db), sqlShop{db})
}

// shop is the merchant's own database: its orders table, in the same
// transactions as River's jobs.
type shop[TTx any] interface {
	createTable(ctx context.Context) error
	begin(ctx context.Context) (TTx, error)
	saveOrder(ctx context.Context, tx TTx, ref, orderID string) error
	commit(ctx context.Context, tx TTx) error
	rollback(ctx context.Context, tx TTx) error
	orders(ctx context.Context) (int, error)
}

func run[TTx any](ctx context.Context, out io.Writer, d riverdriver.Driver[TTx], db shop[TTx]) error {
	m, err := rivermigrate.New(d, nil)
	if err != nil {
		return err
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return err
	}
	if err := db.createTable(ctx); err != nil {
		return err
	}

	srv := sandbox.NewServer()
	defer srv.Close()
	// No retries inside a call, so that a lost answer reaches River, whose
	// retry re-sends the job's key.
	client, err := tokenim.NewClient(srv.APIKey(), tokenim.WithBaseURL(srv.URL), tokenim.WithMerchantID(srv.MerchantID),
		tokenim.WithMaxRetries(0))
	if err != nil {
		return err
	}

	workers := river.NewWorkers()
	if err := tokenimriver.AddWorkers(workers, tokenimriver.Config{Client: client,
		Backoff: func(int) time.Duration { return 100 * time.Millisecond }}); err != nil {
		return err
	}
	rc, err := river.NewClient(d, &river.Config{Workers: workers,
		Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 1}}, FetchPollInterval: 50 * time.Millisecond, FetchCooldown: 20 * time.Millisecond})
	if err != nil {
		return err
	}
	ended, cancel := rc.Subscribe(river.EventKindJobCompleted, river.EventKindJobCancelled)
	defer cancel()

	// Checkout: the order row and its payment job, in one transaction.
	checkout := func(ref string, amount int64, commit bool, clicks int) (string, error) {
		order, err := client.Orders.Create(ctx, &tokenim.OrderCreateParams{MerchantOrderID: ref, Amount: amount, Currency: "CNY"})
		if err != nil {
			return "", err
		}
		tx, err := db.begin(ctx)
		if err != nil {
			return "", err
		}
		if err := db.saveOrder(ctx, tx, ref, order.ID); err != nil {
			_ = db.rollback(ctx, tx)
			return "", err
		}
		for range clicks {
			res, err := tokenimriver.InsertPaymentTx(ctx, rc, tx, &tokenim.PaymentCreateParams{OrderID: order.ID, Method: tokenim.Wallet(tokenim.WalletAlipay)}, nil)
			if err != nil {
				_ = db.rollback(ctx, tx)
				return "", err
			}
			if res.UniqueSkippedAsDuplicate {
				fmt.Fprintf(out, "✓ %s: a second click inserted no second charge\n", ref)
			}
		}
		if !commit {
			return order.ID, db.rollback(ctx, tx)
		}
		return order.ID, db.commit(ctx, tx)
	}

	// A card cannot be a job: it would be stored.
	_, err = tokenimriver.PaymentArgs(&tokenim.PaymentCreateParams{OrderID: "ord_x", Method: tokenim.Card("4242424242424242", 12, 2040, "123")})
	if errors.Is(err, tokenimriver.ErrCardInJob) {
		fmt.Fprintln(out, "✓ a card payment is refused as a job (card data is never stored)")
	}

	// About one answer in three is lost after the platform executed it.
	if err := srv.SetFaults(sandbox.FaultPlan{Seed: 5, Rules: []sandbox.FaultRule{{Method: "POST", Path: "/v1/payments", Kind: sandbox.FaultDropAfterCommit, Rate: 0.34}}}); err != nil {
		return err
	}
	var paid []string
	for i := range 5 {
		id, err := checkout(fmt.Sprintf("TEA-%d", 1001+i), 1999+int64(i)*100, true, 1+i%2)
		if err != nil {
			return err
		}
		paid = append(paid, id)
	}
	rolledBack, err := checkout("TEA-0999", 500, false, 1)
	if err != nil {
		return err
	}
	n, err := db.orders(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "✓ %d orders saved with their payment jobs; a rolled-back checkout left neither\n", n)

	if err := rc.Start(ctx); err != nil {
		return err
	}
	defer func() {
		stopCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
		defer stop()
		_ = rc.Stop(stopCtx)
	}()
	retried := 0
	for range paid {
		ev := <-ended
		if ev.Job.Attempt > 1 {
			retried++
		}
		o, _, err := tokenimriver.OutcomeOf(ev.Job)
		if err != nil {
			return err
		}
		if !o.Succeeded() {
			return fmt.Errorf("order %s: %s", o.OrderID, o.Message)
		}
	}
	fmt.Fprintf(out, "✓ %d payment jobs done (%d retried with the same key after a lost answer)\n", len(paid), retried)
	once := 0
	for _, id := range append(paid, rolledBack) {
		count := 0
		for p, err := range client.Payments.All(ctx, &tokenim.PaymentListParams{OrderID: id}) {
			if err != nil {
				return err
			}
			if p.Status == tokenim.PaymentStatusSucceeded {
				count++
			}
		}
		if id == rolledBack && count != 0 {
			return fmt.Errorf("the rolled-back order was charged")
		}
		if id != rolledBack && count == 1 {
			once++
		}
	}
	fmt.Fprintf(out, "✓ %d of %d orders paid exactly once; the rolled-back one never\n", once, len(paid))
	return nil
}

type sqlShop struct{ db *sql.DB }

func (s sqlShop) createTable(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS shop_orders (ref TEXT PRIMARY KEY, order_id TEXT NOT NULL)`)
	return err
}
func (s sqlShop) begin(ctx context.Context) (*sql.Tx, error) { return s.db.BeginTx(ctx, nil) }
func (s sqlShop) saveOrder(ctx context.Context, tx *sql.Tx, ref, id string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO shop_orders (ref, order_id) VALUES (?, ?)`, ref, id)
	return err
}
func (sqlShop) commit(_ context.Context, tx *sql.Tx) error   { return tx.Commit() }
func (sqlShop) rollback(_ context.Context, tx *sql.Tx) error { return tx.Rollback() }
func (s sqlShop) orders(ctx context.Context) (n int, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT count(*) FROM shop_orders`).Scan(&n)
	return n, err
}
