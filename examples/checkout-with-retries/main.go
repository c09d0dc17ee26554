// Command checkout-with-retries shows why a payment call carries an
// idempotency key. The embedded sandbox is told to drop connections: first
// some order calls fail with 503 and the client retries them by itself; then
// every payment call is executed but its answer is lost, so the client reports
// an unknown outcome with the key it used. Replaying the call with that key
// returns the stored result (Idempotent-Replayed: true) instead of charging
// the card again, and the order ends with exactly one payment.
//
//	go run ./examples/checkout-with-retries
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/sandbox"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "checkout-with-retries:", err)
		os.Exit(1)
	}
}

// run plays the checkout on a fresh embedded sandbox configured by opts and
// prints each step to out.
func run(ctx context.Context, out io.Writer, opts ...sandbox.Option) error {
	srv := sandbox.NewServer(opts...)
	defer srv.Close()
	client, err := tokenim.NewClient(srv.APIKey(),
		tokenim.WithBaseURL(srv.URL), tokenim.WithMerchantID(srv.MerchantID),
		// Short waits keep the demo quick; keep the defaults in production.
		// The cap must reach the sandbox's Retry-After (1 s): a longer one
		// ends the call instead of being waited out.
		tokenim.WithRetryWait(10*time.Millisecond, time.Second))
	if err != nil {
		return err
	}

	// 1. Transient failures are retried by the client with the same key.
	if err := srv.SetFaults(sandbox.FaultPlan{Seed: 8, Rules: []sandbox.FaultRule{
		{Method: "POST", Path: "/v1/orders", Kind: sandbox.FaultErrorBeforeCommit, Status: 503, Rate: 0.5},
	}}); err != nil {
		return err
	}
	var resp tokenim.Response
	order, err := client.Orders.Create(ctx, &tokenim.OrderCreateParams{
		MerchantOrderID: "retry-2001", Amount: 4900, Currency: "CNY",
	}, tokenim.WithResponse(&resp))
	if err != nil {
		return fmt.Errorf("create order: %w", err)
	}
	fmt.Fprintf(out, "✓ order %s created after %d attempts (the client retried each 503 with one key)\n",
		order.ID, len(srv.Requests()))

	// 2. The payment executes but every answer is lost on the way back.
	if err := srv.SetFaults(sandbox.FaultPlan{Seed: 3, Rules: []sandbox.FaultRule{
		{Method: "POST", Path: "/v1/payments", Kind: sandbox.FaultDropAfterCommit, Rate: 1},
	}}); err != nil {
		return err
	}
	params := &tokenim.PaymentCreateParams{
		OrderID: order.ID,
		Method:  tokenim.Card("4242424242424242", 12, time.Now().Year()+2, "123"),
	}
	_, err = client.Payments.Create(ctx, params)
	var unknown *tokenim.UnknownOutcomeError
	if !errors.As(err, &unknown) {
		return fmt.Errorf("expected an unknown outcome, got %v", err)
	}
	fmt.Fprintf(out, "✗ payment outcome unknown after %d attempts (connection lost); key %s\n",
		unknown.Attempts, unknown.IdempotencyKey)
	fmt.Fprintf(out, "  error: %v\n", err)

	// 3. Later (here: once the network is back) finish the same call with the
	// same key. Store the key with the order so a restart can do this too.
	srv.ClearFaults()
	payment, err := client.Payments.Create(ctx, params,
		tokenim.WithIdempotencyKey(unknown.IdempotencyKey), tokenim.WithResponse(&resp))
	if err != nil {
		return fmt.Errorf("replay payment: %w", err)
	}
	fmt.Fprintf(out, "✓ same call, same key: payment %s %s (Idempotent-Replayed: %t)\n",
		payment.ID, payment.Status, resp.Replayed)

	// 4. No double charge: the order has exactly one payment.
	page, err := client.Payments.List(ctx, &tokenim.PaymentListParams{OrderID: order.ID})
	if err != nil {
		return fmt.Errorf("list payments: %w", err)
	}
	for _, p := range page.Data {
		fmt.Fprintf(out, "  payment %s: %s, CNY %d.%02d\n", p.ID, p.Status, p.Amount/100, p.Amount%100)
	}
	if len(page.Data) != 1 || page.Data[0].ID != payment.ID {
		return fmt.Errorf("order %s has %d payments, want exactly %s", order.ID, len(page.Data), payment.ID)
	}
	executed, replayed := 0, 0
	for _, r := range srv.Requests() {
		if r.IdempotencyKey == unknown.IdempotencyKey {
			if r.Replayed {
				replayed++
			} else {
				executed++
			}
		}
	}
	// net/http may resend a keyed request once on a reused connection, so the
	// sandbox can see more requests than the client counts attempts.
	fmt.Fprintf(out, "✓ no double charge: 1 payment; the sandbox executed the call %d time, replayed it %d times\n", executed, replayed)
	if executed != 1 {
		return fmt.Errorf("the payment call executed %d times", executed)
	}
	return nil
}
