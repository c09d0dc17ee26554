// Command async-bank-transfer pays an order by bank transfer, which settles
// later: the payment is created "processing", the customer's bank pays an hour
// afterwards (here: the sandbox clock jumps an hour), and the merchant learns
// it from the payment.succeeded and order.paid webhooks, or by waiting with
// Payments.Wait. A second transfer is returned by the bank and fails.
//
//	go run ./examples/async-bank-transfer
package main

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"

	"github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/sandbox"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "async-bank-transfer:", err)
		os.Exit(1)
	}
}

// run plays both transfers on a fresh embedded sandbox configured by opts and
// prints each step to out.
func run(ctx context.Context, out io.Writer, opts ...sandbox.Option) error {
	srv := sandbox.NewServer(opts...)
	defer srv.Close()
	client, err := tokenim.NewClient(srv.APIKey(),
		tokenim.WithBaseURL(srv.URL), tokenim.WithMerchantID(srv.MerchantID))
	if err != nil {
		return err
	}
	hooks, err := listenForWebhooks(ctx, client)
	if err != nil {
		return err
	}
	defer hooks.Close()

	// A transfer takes hours: keep its order open longer than the default
	// 30 minutes, so a returned transfer leaves it payable another way.
	expires := time.Now().Add(24 * time.Hour)
	order, err := client.Orders.Create(ctx, &tokenim.OrderCreateParams{
		MerchantOrderID: "bt-3001", Amount: 25000, Currency: "EUR", ExpiresAt: &expires,
	})
	if err != nil {
		return fmt.Errorf("create order: %w", err)
	}
	payment, err := client.Payments.Create(ctx, &tokenim.PaymentCreateParams{
		OrderID: order.ID, Method: tokenim.BankTransfer(),
	})
	if err != nil {
		return fmt.Errorf("pay by bank transfer: %w", err)
	}
	fmt.Fprintf(out, "✓ order %s (EUR %s): bank transfer %s is %s\n", order.ID, euros(order.Amount), payment.ID, payment.Status)

	// A checkout page would wait like this; webhooks tell the back office.
	type waitResult struct {
		p   *tokenim.Payment
		err error
	}
	waited := make(chan waitResult, 1)
	go func() {
		p, err := client.Payments.Wait(ctx, payment.ID)
		waited <- waitResult{p, err}
	}()

	srv.Advance(time.Hour) // the customer's bank pays
	fmt.Fprintln(out, "✓ one hour later (sandbox clock) the transfer settles")
	if err := srv.FlushDeliveries(ctx); err != nil {
		return err
	}
	hooks.print(out)

	res := <-waited
	if res.err != nil {
		return fmt.Errorf("wait for payment: %w", res.err)
	}
	p := res.p
	fmt.Fprintf(out, "✓ Payments.Wait: %s %s, fee EUR %s, net EUR %s\n", p.ID, p.Status, euros(p.Fee), euros(p.Net))

	// The bank returns a transfer whose amount ends in 13 (sandbox rule).
	order, err = client.Orders.Create(ctx, &tokenim.OrderCreateParams{
		MerchantOrderID: "bt-3002", Amount: 10013, Currency: "EUR", ExpiresAt: &expires,
	})
	if err != nil {
		return fmt.Errorf("create order: %w", err)
	}
	payment, err = client.Payments.Create(ctx, &tokenim.PaymentCreateParams{
		OrderID: order.ID, Method: tokenim.BankTransfer(),
	})
	if err != nil {
		return fmt.Errorf("pay by bank transfer: %w", err)
	}
	fmt.Fprintf(out, "✓ order %s (EUR %s): bank transfer %s is %s\n", order.ID, euros(order.Amount), payment.ID, payment.Status)
	srv.Advance(time.Hour)
	if err := srv.FlushDeliveries(ctx); err != nil {
		return err
	}
	hooks.print(out)
	p, err = client.Payments.Wait(ctx, payment.ID)
	if err != nil {
		return fmt.Errorf("wait for payment: %w", err)
	}
	order, err = client.Orders.Get(ctx, order.ID)
	if err != nil {
		return fmt.Errorf("get order: %w", err)
	}
	fmt.Fprintf(out, "✓ Payments.Wait: %s %s (%s); order %s is %s for another try\n", p.ID, p.Status, p.FailureCode, order.ID, order.Status)
	return nil
}

// webhooks receives the events on a local server and keeps, in arrival
// order, what the merchant would act on.
type webhooks struct {
	*httptest.Server
	mu    sync.Mutex
	lines []string
}

// listenForWebhooks starts a local receiver and registers it for the events
// this flow needs. The signing secret comes with the endpoint, so the
// verifier asks for it on each delivery (WithWebhookSecretsFunc).
func listenForWebhooks(ctx context.Context, client *tokenim.Client) (*webhooks, error) {
	w := &webhooks{}
	var secrets tokenim.WebhookSecrets
	verifier, err := tokenim.NewWebhookVerifier(nil, tokenim.WithWebhookSecretsFunc(secrets.Get))
	if err != nil {
		return nil, err
	}
	h, err := tokenim.NewWebhookHandler(verifier, w.onEvent)
	if err != nil {
		return nil, err
	}
	w.Server = httptest.NewServer(h)
	endpoint, err := client.WebhookEndpoints.Create(ctx, &tokenim.WebhookEndpointCreateParams{
		URL:    w.URL + "/webhooks/tokenim",
		Events: []tokenim.EventType{tokenim.EventPaymentSucceeded, tokenim.EventPaymentFailed, tokenim.EventOrderPaid},
	})
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("register webhook endpoint: %w", err)
	}
	secrets.Set(endpoint.Secret.Reveal())
	return w, nil
}

// onEvent is called once per verified event.
func (w *webhooks) onEvent(_ context.Context, ev *tokenim.Event) error {
	var line string
	switch ev.Type {
	case tokenim.EventPaymentSucceeded, tokenim.EventPaymentFailed:
		p, err := ev.Payment()
		if err != nil {
			return err
		}
		line = fmt.Sprintf("%s: %s %s", ev.Type, p.ID, p.Status)
		if p.FailureCode != "" {
			line += " (" + string(p.FailureCode) + ")"
		}
	case tokenim.EventOrderPaid:
		o, err := ev.Order()
		if err != nil {
			return err
		}
		line = fmt.Sprintf("%s: %s %s, ship it", ev.Type, o.ID, o.Status)
	default:
		return nil
	}
	w.mu.Lock()
	w.lines = append(w.lines, line)
	w.mu.Unlock()
	return nil
}

// print writes the events received since the last call. Deliveries run
// concurrently, so payment.* is printed before order.* for a stable output.
func (w *webhooks) print(out io.Writer) {
	w.mu.Lock()
	lines := w.lines
	w.lines = nil
	w.mu.Unlock()
	for _, prefix := range []string{"payment.", "order."} {
		for _, l := range lines {
			if strings.HasPrefix(l, prefix) {
				fmt.Fprintln(out, "  webhook", l)
			}
		}
	}
}

// euros formats minor units of a two-decimal currency.
func euros(minor int64) string { return fmt.Sprintf("%d.%02d", minor/100, minor%100) }
