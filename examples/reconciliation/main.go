// Command reconciliation proves a day of a shop's own records against the
// platform's balance transactions and settlement (docs/tokenim-api.md §9).
//
// On the embedded sandbox, a shop takes a day of checkouts by card, wallet and
// bank transfer and refunds one, keeping its own books from webhooks. Two
// things go wrong, as they do in production: one order.paid webhook is
// acknowledged but never written (the shop's database failed after the 200),
// and a double-submitted form writes one order twice. The clock then moves
// past the day's settlement, and the reconciler, fed from the API and the
// shop's books, finds exactly those two differences.
//
//	go run ./examples/reconciliation
package main

import (
	"context"
	"fmt"
	"io"
	"iter"
	"net/http/httptest"
	"os"
	"os/signal"
	"sync"
	"time"

	"github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/reconcile"
	"github.com/tokenim/tokenim-go/reconcile/platform"
	"github.com/tokenim/tokenim-go/sandbox"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	found, err := run(ctx, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "reconciliation:", err)
		os.Exit(1)
	}
	if found > 0 {
		os.Exit(1) // as a nightly job would: someone must look
	}
}

// day is the business day reconciled: the sandbox clock starts at its 09:00.
var day = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

// checkout is one sale of the day.
type checkout struct {
	ref    string
	amount int64
	method tokenim.PaymentMethodParams
}

var checkouts = []checkout{
	{"A-1001", 1999, tokenim.Card("4242424242424242", 12, 2030, "123")},
	{"A-1002", 4500, tokenim.Wallet(tokenim.WalletAlipay)},
	{"A-1003", 12000, tokenim.BankTransfer()},
	{"A-1004", 899, tokenim.Card("5555555555554444", 1, 2031, "321")},
	{"A-1005", 15050, tokenim.Wallet(tokenim.WalletWeChatPay)}, // its order.paid is lost
	{"A-1006", 2500, tokenim.Card("4242424242424242", 6, 2029, "456")},
}

const (
	lostRef    = "A-1005" // the webhook the shop acknowledged and lost
	doubledRef = "A-1002" // the order the shop wrote twice
	refundRef  = "A-1006" // refunded in part in the afternoon
)

// run plays the day on a fresh embedded sandbox, reconciles it and prints
// every step to out; it returns how many differences were found.
func run(ctx context.Context, out io.Writer) (int, error) {
	srv := sandbox.NewServer(sandbox.WithFrozenClock(day.Add(9 * time.Hour)))
	defer srv.Close()
	client, err := tokenim.NewClient(srv.APIKey(), tokenim.WithBaseURL(srv.URL), tokenim.WithMerchantID(srv.MerchantID))
	if err != nil {
		return 0, err
	}
	shop, err := openShop(ctx, client)
	if err != nil {
		return 0, err
	}
	defer shop.Close()

	payments := map[string]*tokenim.Payment{}
	for _, c := range checkouts {
		order, err := client.Orders.Create(ctx, &tokenim.OrderCreateParams{MerchantOrderID: c.ref, Amount: c.amount, Currency: "EUR"})
		if err != nil {
			return 0, fmt.Errorf("create order %s: %w", c.ref, err)
		}
		shop.opened(order, c.method.Type)
		p, err := client.Payments.Create(ctx, &tokenim.PaymentCreateParams{OrderID: order.ID, Method: c.method})
		if err != nil {
			return 0, fmt.Errorf("pay %s: %w", c.ref, err)
		}
		payments[c.ref] = p
		srv.Advance(40 * time.Minute) // the next customer; bank transfers settle after an hour
		if err := srv.FlushDeliveries(ctx); err != nil {
			return 0, err
		}
	}
	fmt.Fprintf(out, "✓ %d checkouts on %s (card, wallet, bank transfer)\n", len(checkouts), day.Format(time.DateOnly))

	if _, err := client.Refunds.Create(ctx, &tokenim.RefundCreateParams{PaymentID: payments[refundRef].ID, Amount: 500}); err != nil {
		return 0, fmt.Errorf("refund %s: %w", refundRef, err)
	}
	srv.Advance(10 * time.Minute) // the refund settles
	if err := srv.FlushDeliveries(ctx); err != nil {
		return 0, err
	}
	fmt.Fprintf(out, "✓ %s refunded EUR 5.00\n", refundRef)
	fmt.Fprintf(out, "✗ the order.paid webhook of %s was acknowledged but never written\n", lostRef)
	shop.writeTwice(doubledRef)
	fmt.Fprintf(out, "✗ a double-submitted form wrote %s twice\n", doubledRef)

	// Two days later the day's money is settled (available a day after each
	// payment, paid out at the next 00:00 UTC).
	srv.Advance(day.Add(72 * time.Hour).Sub(srv.Clock().Now()))
	for st, err := range client.Settlements.All(ctx, nil) {
		if err != nil {
			return 0, err
		}
		fmt.Fprintf(out, "✓ settlement %s: EUR %s for %d transactions at %s\n", st.ID, euros(st.Amount), st.TransactionCount, st.PeriodEnd.Format(time.RFC3339))
	}

	var r reconcile.Reconciler
	period, err := platform.AddPeriod(ctx, client, &r, day, day.Add(24*time.Hour))
	if err != nil {
		return 0, err
	}
	if err := r.AddRecords(shop.records()); err != nil {
		return 0, err
	}
	rep := r.Report()
	fmt.Fprintf(out, "✓ reconciled %d transactions and %d settlement(s) against %d records\n",
		rep.Summary.Transactions, len(period.Settlements), rep.Summary.Records)
	for _, d := range rep.Differences {
		fmt.Fprintf(out, "  %s\n", d)
	}
	return len(rep.Differences), nil
}

func euros(minor int64) string { return fmt.Sprintf("%d.%02d", minor/100, minor%100) }

// row is the shop's record of one order: what its webhooks told it.
type row struct {
	orderID, ref string
	amount       int64
	currency     tokenim.Currency
	paid         bool
	refunded     int64
	method       tokenim.PaymentMethodType
}

// shop keeps its books from webhooks, as a real back office does.
type shop struct {
	*httptest.Server
	mu      sync.Mutex
	rows    []*row // in the order written, duplicates included
	byOrder map[string]*row
}

// openShop starts the shop's webhook receiver and registers it.
func openShop(ctx context.Context, client *tokenim.Client) (*shop, error) {
	s := &shop{byOrder: map[string]*row{}}
	// The signing secret comes with the endpoint, which needs the
	// receiver's URL: the verifier asks for it on each delivery.
	var secrets tokenim.WebhookSecrets
	v, err := tokenim.NewWebhookVerifier(nil, tokenim.WithWebhookSecretsFunc(secrets.Get))
	if err != nil {
		return nil, err
	}
	h, err := tokenim.NewWebhookHandler(v, s.onEvent)
	if err != nil {
		return nil, err
	}
	s.Server = httptest.NewServer(h)
	ep, err := client.WebhookEndpoints.Create(ctx, &tokenim.WebhookEndpointCreateParams{
		URL: s.URL + "/webhooks", Events: []tokenim.EventType{tokenim.EventOrderPaid, tokenim.EventRefundSucceeded},
	})
	if err != nil {
		s.Close()
		return nil, err
	}
	secrets.Set(ep.Secret.Reveal())
	return s, nil
}

func (s *shop) opened(o *tokenim.Order, method tokenim.PaymentMethodType) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := &row{orderID: o.ID, ref: o.MerchantOrderID, amount: o.Amount, currency: o.Currency, method: method}
	s.rows = append(s.rows, r)
	s.byOrder[o.ID] = r
}

func (s *shop) onEvent(_ context.Context, ev *tokenim.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch ev.Type {
	case tokenim.EventOrderPaid:
		o, err := ev.Order()
		if err != nil {
			return err
		}
		if r := s.byOrder[o.ID]; r != nil && r.ref != lostRef {
			r.paid = true
		}
	case tokenim.EventRefundSucceeded:
		rf, err := ev.Refund()
		if err != nil {
			return err
		}
		if r := s.byOrder[rf.OrderID]; r != nil {
			r.refunded += rf.Amount
		}
	}
	return nil
}

func (s *shop) writeTwice(ref string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.rows {
		if r.ref == ref {
			dup := *r
			s.rows = append(s.rows, &dup)
			return
		}
	}
}

// records streams the shop's books to the reconciler, as rows from its
// database would be.
func (s *shop) records() iter.Seq2[reconcile.Record, error] {
	return func(yield func(reconcile.Record, error) bool) {
		s.mu.Lock()
		rows := append([]*row(nil), s.rows...)
		s.mu.Unlock()
		for _, r := range rows {
			status := reconcile.StatusUnpaid
			switch {
			case r.paid && r.refunded >= r.amount:
				status = reconcile.StatusRefunded
			case r.paid && r.refunded > 0:
				status = reconcile.StatusPartiallyRefunded
			case r.paid:
				status = reconcile.StatusPaid
			}
			method, _ := reconcile.ParseMethod(string(r.method))
			rec := reconcile.Record{
				OrderID: r.orderID, MerchantOrderID: r.ref, Amount: r.amount, Currency: string(r.currency),
				Status: status, RefundedAmount: r.refunded, Method: method,
			}
			if !yield(rec, nil) {
				return
			}
		}
	}
}
