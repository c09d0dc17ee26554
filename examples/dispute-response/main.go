// Command dispute-response answers disputes from a webhook handler, before
// their evidence deadline. Two customers dispute card payments with their
// banks (the sandbox's dispute test cards). On dispute.created the handler
// looks the order up in the shop's own records: an order that was shipped is
// defended — the facts are staged as evidence, then submitted — and one that
// never left the warehouse is conceded at once, since fighting it would only
// lose later. A day later (sandbox clock) the bank decides, and
// dispute.closed tells the shop whether it kept the money.
//
//	go run ./examples/dispute-response
package main

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/signal"
	"slices"
	"sync"
	"time"

	"github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/sandbox"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, sandbox.WithFrozenClock(time.Now())); err != nil {
		fmt.Fprintln(os.Stderr, "dispute-response:", err)
		os.Exit(1)
	}
}

// shipment is what the shop's own records know about an order.
type shipment struct {
	item, carrier, tracking, signedBy string
	shipped                           bool
}

// shop is the merchant's order system, keyed by merchant_order_id.
var shop = map[string]shipment{
	"A-1001": {item: "Blue ceramic mug, 350 ml", carrier: "SF Express", tracking: "SF1234567890", signedBy: "L. Chen", shipped: true},
	"A-1002": {item: "Teapot, cast iron", shipped: false}, // stuck in the warehouse
}

// Sandbox test cards (docs/tokenim-api.md §8): each succeeds, then a
// dispute with this reason opens an hour of sandbox time later.
const (
	cardProductNotReceived = "4000000000002685"
	cardFraudulent         = "4000000000000259"
)

// run plays both disputes on a fresh embedded sandbox configured by opts and
// prints each step to out.
func run(ctx context.Context, out io.Writer, opts ...sandbox.Option) error {
	srv := sandbox.NewServer(opts...)
	defer srv.Close()
	client, err := tokenim.NewClient(srv.APIKey(), tokenim.WithBaseURL(srv.URL), tokenim.WithMerchantID(srv.MerchantID))
	if err != nil {
		return err
	}
	r, err := startResponder(ctx, client)
	if err != nil {
		return err
	}
	defer r.Close()

	for ref, card := range map[string]string{"A-1001": cardProductNotReceived, "A-1002": cardFraudulent} {
		if err := pay(ctx, client, ref, card); err != nil {
			return err
		}
	}
	fmt.Fprintln(out, "✓ orders A-1001 and A-1002 paid by card")

	srv.Advance(time.Hour) // the customers' banks open the disputes
	if err := srv.FlushDeliveries(ctx); err != nil {
		return err
	}
	fmt.Fprintln(out, "✓ one hour later (sandbox clock) both customers dispute")
	r.print(out)
	fmt.Fprintf(out, "✓ disputes still needing a response: %d\n", len(r.deadlines.Due(srv.Clock().Now())))

	srv.Advance(24 * time.Hour) // the bank reviews the evidence
	if err := srv.FlushDeliveries(ctx); err != nil {
		return err
	}
	fmt.Fprintln(out, "✓ one day later (sandbox clock) the bank decides")
	r.print(out)
	return r.failure()
}

func pay(ctx context.Context, client *tokenim.Client, ref, card string) error {
	o, err := client.Orders.Create(ctx, &tokenim.OrderCreateParams{MerchantOrderID: ref, Amount: 8800, Currency: "CNY", Description: shop[ref].item})
	if err != nil {
		return fmt.Errorf("create order %s: %w", ref, err)
	}
	if _, err := client.Payments.Create(ctx, &tokenim.PaymentCreateParams{OrderID: o.ID, Method: tokenim.Card(card, 12, 2040, "123")}); err != nil {
		return fmt.Errorf("pay order %s: %w", ref, err)
	}
	return nil
}

// responder is the shop's webhook endpoint for disputes.
type responder struct {
	*httptest.Server
	client *tokenim.Client
	// deadlines keeps, from the same events, which disputes still need an
	// answer: what a back office would show or page someone about.
	deadlines tokenim.DisputeDeadlines

	mu    sync.Mutex
	lines map[string][]line // by merchant_order_id
	err   error
}

// line is one thing the responder did. The closing webhook of a conceded
// dispute may be handled while the handler that conceded it is still
// finishing, so closing lines come last (late) within their order.
type line struct {
	late bool
	text string
}

// startResponder starts the receiver and registers it for the dispute
// events; the verifier gets the endpoint's secret once the endpoint
// exists.
func startResponder(ctx context.Context, client *tokenim.Client) (*responder, error) {
	r := &responder{client: client, lines: map[string][]line{}}
	var secrets tokenim.WebhookSecrets
	verifier, err := tokenim.NewWebhookVerifier(nil, tokenim.WithWebhookSecretsFunc(secrets.Get))
	if err != nil {
		return nil, err
	}
	h, err := tokenim.NewWebhookHandler(verifier, r.onEvent)
	if err != nil {
		return nil, err
	}
	r.Server = httptest.NewServer(h)
	endpoint, err := client.WebhookEndpoints.Create(ctx, &tokenim.WebhookEndpointCreateParams{
		URL:    r.URL + "/webhooks/tokenim",
		Events: []tokenim.EventType{tokenim.EventDisputeCreated, tokenim.EventDisputeEvidenceDueSoon, tokenim.EventDisputeClosed},
	})
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("register webhook endpoint: %w", err)
	}
	secrets.Set(endpoint.Secret.Reveal())
	return r, nil
}

// onEvent is called once per verified event. An error makes the platform
// deliver the event again later, so a failed answer is retried.
func (r *responder) onEvent(ctx context.Context, ev *tokenim.Event) error {
	if err := r.deadlines.Observe(ev); err != nil {
		return err
	}
	d, err := ev.Dispute()
	if err != nil {
		return err
	}
	order, err := r.client.Orders.Get(ctx, d.OrderID)
	if err != nil {
		return fmt.Errorf("gather facts of %s: %w", d.OrderID, err)
	}
	ref := order.MerchantOrderID
	switch ev.Type {
	case tokenim.EventDisputeCreated:
		r.say(ref, "webhook %s: %s, %s, CNY %s at stake, answer by %s", ev.Type, ref, d.Reason, yuan(d.Amount), d.EvidenceDueBy.Format("Jan 2 15:04 MST"))
		return r.answer(ctx, d, order)
	case tokenim.EventDisputeEvidenceDueSoon:
		// Reached only if answering failed every time: a person must look.
		r.say(ref, "webhook %s: %s still unanswered, due %s", ev.Type, ref, d.EvidenceDueBy.Format(time.RFC3339))
	case tokenim.EventDisputeClosed:
		kept := "the money is gone"
		if d.Status == tokenim.DisputeStatusWon {
			kept = "CNY " + yuan(d.Amount) + " comes back, the fee does not"
		}
		r.sayLate(ref, "webhook %s: %s %s (%s)", ev.Type, ref, d.Status, kept)
	}
	return nil
}

// answer defends a dispute with the order's facts, or concedes one the shop
// cannot win.
func (r *responder) answer(ctx context.Context, d *tokenim.Dispute, order *tokenim.Order) error {
	ref := order.MerchantOrderID
	facts, ok := shop[ref]
	if !ok || !facts.shipped {
		accepted, err := r.client.Disputes.Accept(ctx, d.ID)
		if err != nil {
			return r.fail(ref, fmt.Errorf("accept %s: %w", d.ID, err))
		}
		r.deadlines.Add(accepted)
		r.say(ref, "  %s was never shipped: accepted, nothing to defend", ref)
		return nil
	}
	// Stage what is known at once; more could be added by later calls
	// until the evidence is submitted.
	staged, err := r.client.Disputes.UpdateEvidence(ctx, d.ID, &tokenim.DisputeEvidence{
		ProductDescription:     facts.item,
		ShippingTrackingNumber: facts.carrier + " " + facts.tracking,
		RefundPolicy:           "Returns accepted within 30 days of delivery.",
	})
	if err != nil {
		return r.fail(ref, fmt.Errorf("stage evidence for %s: %w", d.ID, err))
	}
	r.say(ref, "  staged: product, tracking %s, refund policy", staged.Evidence.ShippingTrackingNumber)
	submitted, err := r.client.Disputes.SubmitEvidence(ctx, d.ID, &tokenim.DisputeEvidence{
		UncategorizedText: fmt.Sprintf("Order %s (%s) was delivered and signed for by %s.", ref, order.ID, facts.signedBy),
	})
	if err != nil {
		return r.fail(ref, fmt.Errorf("submit evidence for %s: %w", d.ID, err))
	}
	r.deadlines.Add(submitted) // answered: no longer due
	r.say(ref, "  submitted: %s is %s", ref, submitted.Status)
	return nil
}

func (r *responder) say(ref, format string, args ...any) {
	r.add(ref, line{text: fmt.Sprintf(format, args...)})
}

func (r *responder) sayLate(ref, format string, args ...any) {
	r.add(ref, line{late: true, text: fmt.Sprintf(format, args...)})
}

func (r *responder) add(ref string, l line) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines[ref] = append(r.lines[ref], l)
}

func (r *responder) fail(ref string, err error) error {
	r.say(ref, "  %v", err)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err == nil {
		r.err = err
	}
	return err
}

func (r *responder) failure() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// print writes what happened since the last call, order by order: the
// deliveries run concurrently, so the orders are sorted for a stable output.
func (r *responder) print(out io.Writer) {
	r.mu.Lock()
	lines := r.lines
	r.lines = map[string][]line{}
	r.mu.Unlock()
	refs := make([]string, 0, len(lines))
	for ref := range lines {
		refs = append(refs, ref)
	}
	slices.Sort(refs)
	for _, ref := range refs {
		ls := lines[ref]
		slices.SortStableFunc(ls, func(a, b line) int {
			switch {
			case a.late == b.late:
				return 0
			case b.late:
				return -1
			}
			return 1
		})
		for _, l := range ls {
			fmt.Fprintln(out, "  "+l.text)
		}
	}
}

// yuan formats minor units of CNY.
func yuan(minor int64) string { return fmt.Sprintf("%d.%02d", minor/100, minor%100) }
