package tokenimtest_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/sandbox"
	"github.com/tokenim/tokenim-go/tokenimtest"
)

// checkoutTest is what a merchant writes in a _test.go file as
// func TestCheckout(t *testing.T): a paid order, another merchant that cannot
// see it, and an order left to expire on the frozen sandbox clock.
func checkoutTest(t testing.TB) {
	ctx := context.Background()
	client, srv := tokenimtest.Start(t, sandbox.WithFrozenClock(time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)))

	order, err := client.Orders.Create(ctx, &tokenim.OrderCreateParams{MerchantOrderID: "A-1001", Amount: 1999, Currency: "CNY"})
	if err != nil {
		t.Fatal(err)
	}
	pay, err := client.Payments.Create(ctx, &tokenim.PaymentCreateParams{
		OrderID: order.ID, Method: tokenim.Card("4242424242424242", 12, time.Now().Year()+2, "123"),
	})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("payment:", pay.Status, pay.ReceiptNumber)

	other := tokenimtest.ClientFor(t, srv, srv.AddMerchant())
	_, err = other.Orders.Get(ctx, order.ID)
	fmt.Println("other merchant sees it:", !errors.Is(err, tokenim.ErrNotFound))

	late, err := client.Orders.Create(ctx, &tokenim.OrderCreateParams{MerchantOrderID: "A-1002", Amount: 500, Currency: "CNY"})
	if err != nil {
		t.Fatal(err)
	}
	srv.Advance(30 * time.Minute)
	late, err = client.Orders.Get(ctx, late.ID)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("unpaid order after 30 min:", late.Status)
}

func ExampleStart() {
	t := &exampleT{}
	defer t.cleanup()
	checkoutTest(t)
	// Output:
	// payment: succeeded RCPT-20261121-000001
	// other merchant sees it: false
	// unpaid order after 30 min: expired
}

// exampleT stands in for the *testing.T that go test passes to a test, so
// that this example can run checkoutTest and show its output.
type exampleT struct {
	testing.TB
	cleanups []func()
}

func (t *exampleT) Helper()           {}
func (t *exampleT) Cleanup(f func())  { t.cleanups = append(t.cleanups, f) }
func (t *exampleT) Fatal(args ...any) { panic(fmt.Sprint(args...)) }
func (t *exampleT) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf(format, args...))
}

func (t *exampleT) cleanup() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}
