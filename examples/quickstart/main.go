// Command quickstart takes one order through its whole life on the embedded
// sandbox — no network, no keys: it registers a webhook endpoint, creates and
// pays an order, fetches the receipt, refunds it, moves the sandbox clock so
// the refund settles, and lists the webhooks it received and verified.
//
//	go run ./examples/quickstart
//
// Against the real sandbox, replace the embedded server by your test key:
// tokenim.NewClient("sk_test_…", tokenim.WithMerchantID("mch_…")).
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
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// run does the walkthrough on a fresh embedded sandbox configured by opts and
// prints each step to out.
func run(ctx context.Context, out io.Writer, opts ...sandbox.Option) error {
	srv := sandbox.NewServer(opts...)
	defer srv.Close()
	fmt.Fprintf(out, "✓ sandbox started (merchant %s)\n", srv.MerchantID)

	client, err := tokenim.NewClient(srv.APIKey(),
		tokenim.WithBaseURL(srv.URL), tokenim.WithMerchantID(srv.MerchantID))
	if err != nil {
		return err
	}

	// Webhooks: a local receiver. The signing secret comes with the
	// endpoint, which needs the receiver's URL: the verifier asks for it on
	// each delivery, and it is set once the endpoint exists.
	inbox := &inbox{}
	var secrets tokenim.WebhookSecrets
	verifier, err := tokenim.NewWebhookVerifier(nil, tokenim.WithWebhookSecretsFunc(secrets.Get))
	if err != nil {
		return err
	}
	h, err := tokenim.NewWebhookHandler(verifier, inbox.handle)
	if err != nil {
		return err
	}
	receiver := httptest.NewServer(h)
	defer receiver.Close()

	endpoint, err := client.WebhookEndpoints.Create(ctx, &tokenim.WebhookEndpointCreateParams{
		URL:    receiver.URL + "/webhooks/tokenim",
		Events: []tokenim.EventType{"*"},
	})
	if err != nil {
		return fmt.Errorf("register webhook endpoint: %w", err)
	}
	secrets.Set(endpoint.Secret.Reveal())
	fmt.Fprintf(out, "✓ webhook endpoint %s registered (all events, signed)\n", endpoint.ID)

	order, err := client.Orders.Create(ctx, &tokenim.OrderCreateParams{
		MerchantOrderID: "quickstart-1001",
		Amount:          1999, // minor units: CNY 19.99
		Currency:        "CNY",
		Description:     "Green tea, 250 g",
	})
	if err != nil {
		return fmt.Errorf("create order: %w", err)
	}
	fmt.Fprintf(out, "✓ order %s created: %s, %s\n", order.ID, tokenim.FormatAmount(order.Amount, order.Currency), order.Status)

	payment, err := client.Payments.Create(ctx, &tokenim.PaymentCreateParams{
		OrderID: order.ID,
		Method:  tokenim.Card("4242424242424242", 12, time.Now().Year()+2, "123"),
	})
	if err != nil {
		return fmt.Errorf("pay order: %w", err)
	}
	fmt.Fprintf(out, "✓ payment %s %s (%s •••• %s): fee %s, net %s\n", payment.ID, payment.Status,
		payment.Method.Card.Brand, payment.Method.Card.Last4, tokenim.FormatAmount(payment.Fee, payment.Currency), tokenim.FormatAmount(payment.Net, payment.Currency))

	receipt, err := client.Payments.Receipt(ctx, payment.ID)
	if err != nil {
		return fmt.Errorf("get receipt: %w", err)
	}
	fmt.Fprintf(out, "✓ receipt %s: %s paid by %s\n", receipt.ReceiptNumber,
		tokenim.FormatAmount(receipt.Amount, receipt.Currency), receipt.MethodSummary)

	refund, err := client.Refunds.Create(ctx, &tokenim.RefundCreateParams{
		PaymentID: payment.ID, Remaining: true, Reason: tokenim.RefundReasonRequestedByCustomer,
	})
	if err != nil {
		return fmt.Errorf("refund: %w", err)
	}
	fmt.Fprintf(out, "✓ refund %s of %s created: %s\n", refund.ID, tokenim.FormatAmount(refund.Amount, refund.Currency), refund.Status)

	// Refunds settle 5 minutes later; the sandbox clock gets there at once.
	srv.Advance(5 * time.Minute)
	refund, err = client.Refunds.Get(ctx, refund.ID)
	if err != nil {
		return fmt.Errorf("get refund: %w", err)
	}
	fmt.Fprintf(out, "✓ 5 minutes later (sandbox clock): refund %s\n", refund.Status)

	if err := srv.FlushDeliveries(ctx); err != nil {
		return fmt.Errorf("wait for webhooks: %w", err)
	}
	// Webhooks arrive in any order; list them in the order they happened.
	var types []string
	for ev, err := range client.Events.All(ctx, nil) {
		if err != nil {
			return fmt.Errorf("list events: %w", err)
		}
		if !inbox.has(ev.ID) {
			return fmt.Errorf("event %s (%s) was not delivered to the webhook endpoint", ev.ID, ev.Type)
		}
		types = append([]string{string(ev.Type)}, types...) // newest first → oldest first
	}
	fmt.Fprintf(out, "✓ %d webhooks received and verified: %s\n", inbox.len(), strings.Join(types, ", "))
	fmt.Fprintln(out, "Next: examples/testing shows tests against this sandbox with tokenimtest.Start(t).")
	return nil
}

// inbox records the events the webhook handler accepted. The handler calls it
// once per event, concurrently, after verifying the signature and dropping
// duplicate deliveries.
type inbox struct {
	mu  sync.Mutex
	ids map[string]bool
}

func (b *inbox) handle(_ context.Context, ev *tokenim.Event) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ids == nil {
		b.ids = make(map[string]bool)
	}
	b.ids[ev.ID] = true
	return nil
}

func (b *inbox) has(id string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ids[id]
}

func (b *inbox) len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.ids)
}
