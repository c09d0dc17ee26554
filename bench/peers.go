// Package bench compares tokenim-go with its peers: stripe-go for the
// create-payment call and webhook verification, the Standard Webhooks Go
// library for webhook verification, and stripe-mock for the standalone
// sandbox. It is its own module so that no peer ever enters the SDK's
// dependencies. Run it with `go run ./cmd/compare` (see README.md).
package bench

import (
	"context"
	_ "embed"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stripe/stripe-go/v85"
	"github.com/tokenim/tokenim-go"
)

var (
	//go:embed testdata/tokenim_payment.json
	tokenimPaymentJSON []byte
	//go:embed testdata/stripe_payment_intent.json
	stripePaymentIntentJSON []byte
)

const (
	tokenimKey      = "sk_test_bench_4eC39HqLyjWDarjtT1zdp7dc"
	tokenimMerchant = "mch_bench"
	stripeKey       = "sk_test_bench_4eC39HqLyjWDarjtT1zdp7dc"
)

// loopbackTransport is the transport both clients get: the same pool size,
// so neither wins by reusing connections better.
func loopbackTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 16
	return t
}

// newTokenimServer answers every request like POST /v1/payments on the
// platform: the body is read, the contract headers are set, and a
// succeeded payment is returned.
func newTokenimServer() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Request-Id", "req_bench00000000000000000001")
		h.Set("Tokenim-Version", tokenim.APIVersion)
		h.Set("Idempotent-Replayed", "false")
		_, _ = w.Write(tokenimPaymentJSON)
	}))
}

// newStripeServer answers every request like POST /v1/payment_intents on
// Stripe: the form body is read, Stripe's headers are set, and a succeeded
// PaymentIntent is returned.
func newStripeServer() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Request-Id", "req_bench0000000001")
		h.Set("Stripe-Version", stripe.APIVersion)
		if k := r.Header.Get("Idempotency-Key"); k != "" {
			h.Set("Idempotency-Key", k)
		}
		_, _ = w.Write(stripePaymentIntentJSON)
	}))
}

// TokenimCreatePayment returns one Payments.Create against a loopback
// server, and a func that releases it. The client has its defaults except
// for the base URL and the shared transport settings.
func TokenimCreatePayment() (op func(context.Context) error, closeFn func(), err error) {
	srv := newTokenimServer()
	tr := loopbackTransport()
	closeFn = func() { tr.CloseIdleConnections(); srv.Close() }
	c, err := tokenim.NewClient(tokenimKey, tokenim.WithMerchantID(tokenimMerchant), tokenim.WithBaseURL(srv.URL),
		tokenim.WithHTTPClient(&http.Client{Transport: tr}))
	if err != nil {
		closeFn()
		return nil, nil, err
	}
	op = func(ctx context.Context) error {
		p, err := c.Payments.Create(ctx, &tokenim.PaymentCreateParams{
			OrderID: "ord_998j1izpu94dhpolg48rnot5",
			Method:  tokenim.Card("4242424242424242", 12, 2030, "123"),
		})
		if err != nil {
			return err
		}
		if p.Status != tokenim.PaymentStatusSucceeded || p.Amount != 1999 {
			return fmt.Errorf("unexpected payment %s %s %d", p.ID, p.Status, p.Amount)
		}
		return nil
	}
	return op, closeFn, nil
}

// StripeCreatePaymentIntent returns one V1PaymentIntents.Create (confirming
// with a card) against a loopback server. The client has stripe-go's
// defaults (retries, telemetry, logger) except for the URL and transport.
func StripeCreatePaymentIntent() (op func(context.Context) error, closeFn func(), err error) {
	srv := newStripeServer()
	tr := loopbackTransport()
	closeFn = func() { tr.CloseIdleConnections(); srv.Close() }
	backends := stripe.NewBackendsWithConfig(&stripe.BackendConfig{
		URL:        stripe.String(srv.URL),
		HTTPClient: &http.Client{Transport: tr},
	})
	sc := stripe.NewClient(stripeKey, stripe.WithBackends(backends))
	op = func(ctx context.Context) error {
		pi, err := sc.V1PaymentIntents.Create(ctx, &stripe.PaymentIntentCreateParams{
			Amount:        stripe.Int64(2000),
			Currency:      stripe.String(string(stripe.CurrencyUSD)),
			PaymentMethod: stripe.String("pm_card_visa"),
			Confirm:       stripe.Bool(true),
		})
		if err != nil {
			return err
		}
		if pi.Status != stripe.PaymentIntentStatusSucceeded || pi.Amount != 2000 {
			return fmt.Errorf("unexpected payment intent %s %s %d", pi.ID, pi.Status, pi.Amount)
		}
		return nil
	}
	return op, closeFn, nil
}

// Bench turns an operation built by one of the constructors above into a
// benchmark function that reports allocations.
func Bench(build func() (func(context.Context) error, func(), error)) func(b *testing.B) {
	return func(b *testing.B) {
		op, closeFn, err := build()
		if err != nil {
			b.Fatal(err)
		}
		defer closeFn()
		ctx := context.Background()
		if err := op(ctx); err != nil { // warm the connection pool
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			if err := op(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
}
