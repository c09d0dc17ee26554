// Command durable-checkout shows the journal and the SQL webhook store on an
// embedded SQLite file. A checkout's payment is executed but its answer is
// lost; the "process" then dies. Started again on the same database, the
// journal's Resume finds the payment by the key it wrote before the first
// attempt, and a double click on the checkout page gets the same payment
// back. The webhooks of the checkout are de-duplicated through the same
// database, so several instances of this program could share it.
//
//	go run ./examples/durable-checkout
package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"

	_ "modernc.org/sqlite" // the embedded default: pure Go, no cgo

	"github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/journal"
	"github.com/tokenim/tokenim-go/sandbox"
	"github.com/tokenim/tokenim-go/webhookstore"
)

func main() {
	dir, err := os.MkdirTemp("", "durable-checkout")
	if err == nil {
		defer os.RemoveAll(dir)
		err = run(context.Background(), os.Stdout, filepath.Join(dir, "shop.db"))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "durable-checkout:", err)
		os.Exit(1)
	}
}

// openDB opens the shop's database: WAL so readers never wait for the
// writer, a busy timeout so writers from several processes queue.
func openDB(path string) (*sql.DB, error) {
	return sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_txlock=immediate")
}

func run(ctx context.Context, out io.Writer, dbPath string) error {
	// Webhooks: the handler de-duplicates by webhook-id in the database.
	var handled atomic.Int32
	db, err := openDB(dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := webhookstore.Migrate(ctx, db); err != nil {
		return err
	}
	if err := journal.Migrate(ctx, db); err != nil {
		return err
	}
	store, err := webhookstore.New(db)
	if err != nil {
		return err
	}
	// The secret is ours, so the handler exists before the sandbox that
	// signs with it: no late binding.
	secret := tokenim.NewWebhookSecret()
	verifier, err := tokenim.NewWebhookVerifier([]string{secret})
	if err != nil {
		return err
	}
	h, err := tokenim.NewWebhookHandler(verifier, func(_ context.Context, ev *tokenim.Event) error {
		handled.Add(1)
		return nil
	}, tokenim.WithWebhookIDStore(store))
	if err != nil {
		return err
	}
	hook := httptest.NewServer(h)
	defer hook.Close()
	srv := sandbox.NewServer(sandbox.WithWebhookEndpoint(hook.URL), sandbox.WithWebhookSecret(secret))
	defer srv.Close()

	client, err := tokenim.NewClient(srv.APIKey(), tokenim.WithBaseURL(srv.URL), tokenim.WithMerchantID(srv.MerchantID), tokenim.WithMaxRetries(0))
	if err != nil {
		return err
	}
	order, err := client.Orders.Create(ctx, &tokenim.OrderCreateParams{MerchantOrderID: "shop-1001", Amount: 4900, Currency: "USD"})
	if err != nil {
		return err
	}
	pay := &tokenim.PaymentCreateParams{OrderID: order.ID, Method: tokenim.Card("4242424242424242", 12, 2040, "123")}

	// 1. The payment executes, its answer is lost.
	j, err := journal.New(db, client)
	if err != nil {
		return err
	}
	if err := srv.SetFaults(sandbox.FaultPlan{Rules: []sandbox.FaultRule{{Method: "POST", Path: "/v1/payments", Kind: sandbox.FaultDropAfterCommit, Rate: 1}}}); err != nil {
		return err
	}
	if _, err := j.CreatePayment(ctx, "shop-1001", pay); err != nil {
		fmt.Fprintf(out, "✗ payment answer lost: %v\n", tokenim.ErrUnknownOutcome)
	}
	srv.ClearFaults()

	// 2. A new process on the same database settles what was left.
	db2, err := openDB(dbPath)
	if err != nil {
		return err
	}
	defer db2.Close()
	j2, err := journal.New(db2, client)
	if err != nil {
		return err
	}
	rep, err := j2.Resume(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "✓ resumed after restart: %d intent settled\n", rep.Succeeded)

	// 3. The customer clicks "pay" again: the same payment, nothing sent.
	p, err := j2.CreatePayment(ctx, "shop-1001", pay)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "✓ double click returns payment %s… status %s\n", p.ID[:4], p.Status)
	paid := 0
	for pm, err := range client.Payments.All(ctx, &tokenim.PaymentListParams{OrderID: order.ID}) {
		if err != nil {
			return err
		}
		if pm.Status == tokenim.PaymentStatusSucceeded {
			paid++
		}
	}
	fmt.Fprintf(out, "✓ order paid %d time(s)\n", paid)

	if err := srv.FlushDeliveries(ctx); err != nil {
		return err
	}
	fmt.Fprintf(out, "✓ %d webhooks handled once each\n", handled.Load())
	return nil
}
