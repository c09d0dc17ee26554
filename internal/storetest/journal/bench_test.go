package journal_test

import (
	"context"
	"fmt"
	"testing"

	tokenim "github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/internal/sqltest"
	"github.com/tokenim/tokenim-go/journal"
	"github.com/tokenim/tokenim-go/sandbox"
	"github.com/tokenim/tokenim-go/tokenimtest"
)

// BenchmarkCreatePayment compares a card payment made through the journal
// (two writes around the call) with Payments.Create alone, against an
// in-process sandbox; the difference is the journal's overhead.
func BenchmarkCreatePayment(b *testing.B) {
	run := func(b *testing.B, pay func(ctx context.Context, c *tokenim.Client, ref string, p *tokenim.PaymentCreateParams) error, c *tokenim.Client) {
		ctx := context.Background()
		orders := make([]string, b.N)
		for i := range orders {
			o, err := c.Orders.Create(ctx, &tokenim.OrderCreateParams{MerchantOrderID: fmt.Sprintf("bench-%d-%d", b.N, i), Amount: 1000, Currency: "USD"})
			if err != nil {
				b.Fatal(err)
			}
			orders[i] = o.ID
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			p := &tokenim.PaymentCreateParams{OrderID: orders[i], Method: tokenim.Card("4242424242424242", 12, 2040, "123")}
			if err := pay(ctx, c, fmt.Sprintf("bench-%d-%d", b.N, i), p); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("direct", func(b *testing.B) {
		c, _ := tokenimtest.Start(b, sandbox.WithIdempotencyCapacity(1<<20))
		run(b, func(ctx context.Context, c *tokenim.Client, _ string, p *tokenim.PaymentCreateParams) error {
			_, err := c.Payments.Create(ctx, p)
			return err
		}, c)
	})
	for _, engine := range sqltest.Engines {
		b.Run("journal/"+engine, func(b *testing.B) {
			d := sqltest.New(b, engine)
			db := d.Open()
			if err := journal.Migrate(context.Background(), db); err != nil {
				b.Fatal(err)
			}
			c, _ := tokenimtest.Start(b, sandbox.WithIdempotencyCapacity(1<<20))
			j, err := journal.New(db, c)
			if err != nil {
				b.Fatal(err)
			}
			run(b, func(ctx context.Context, _ *tokenim.Client, ref string, p *tokenim.PaymentCreateParams) error {
				_, err := j.CreatePayment(ctx, ref, p)
				return err
			}, c)
		})
	}
}
