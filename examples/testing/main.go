// Command testing runs the example shop (package shop) against the embedded
// sandbox. The interesting part is next door: shop/shop_test.go tests the
// shop's checkout — success, declines, a one-time code, an expired checkout —
// against an in-process sandbox started by tokenimtest.Start(t):
//
//	go test ./examples/testing/...
//	go run ./examples/testing
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
	"github.com/tokenim/tokenim-go/examples/testing/shop"
	"github.com/tokenim/tokenim-go/sandbox"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "testing:", err)
		os.Exit(1)
	}
}

// run checks out three carts on a fresh embedded sandbox configured by opts
// and prints what each shopper would see.
func run(ctx context.Context, out io.Writer, opts ...sandbox.Option) error {
	srv := sandbox.NewServer(opts...)
	defer srv.Close()
	client, err := tokenim.NewClient(srv.APIKey(),
		tokenim.WithBaseURL(srv.URL), tokenim.WithMerchantID(srv.MerchantID))
	if err != nil {
		return err
	}
	s := shop.New(client)

	for _, c := range []struct{ id, card string }{
		{"cart-1001", "4242424242424242"}, // succeeds
		{"cart-1002", "4000000000009995"}, // insufficient funds
		{"cart-1003", "4000002760003184"}, // asks for a one-time code
	} {
		cart := shop.Cart{
			ID: c.id, Currency: "CNY",
			Items:   []shop.Item{{SKU: "tea-250", Price: 1999, Qty: 2}},
			Payment: tokenim.Card(c.card, 12, time.Now().Year()+2, "123"),
		}
		r, err := s.Checkout(ctx, cart)
		var otp *shop.OTPRequiredError
		if errors.As(err, &otp) {
			fmt.Fprintf(out, "%s: %v → entering 000000\n", c.id, err)
			r, err = s.ConfirmOTP(ctx, otp.PaymentID, "000000")
		}
		switch {
		case errors.Is(err, shop.ErrDeclined):
			fmt.Fprintf(out, "%s: %v\n", c.id, err)
		case err != nil:
			return err
		default:
			fmt.Fprintf(out, "%s: paid, receipt %s, %s %d.%02d by %s\n",
				c.id, r.Number, r.Currency, r.Amount/100, r.Amount%100, r.Method)
		}
	}
	return nil
}
