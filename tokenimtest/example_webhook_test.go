package tokenimtest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/tokenimtest"
)

// webhookTest is what a merchant writes as func TestFulfilment(t *testing.T):
// the sandbox delivers signed events to a receiver the test reads from.
func webhookTest(t testing.TB) {
	ctx := context.Background()
	client, srv := tokenimtest.Start(t)
	events := tokenimtest.NewWebhookReceiver(t, srv) // registered, verifying

	order, err := client.Orders.Create(ctx, &tokenim.OrderCreateParams{MerchantOrderID: "A-2001", Amount: 1999, Currency: "CNY"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.Payments.Create(ctx, &tokenim.PaymentCreateParams{
		OrderID: order.ID, Method: tokenim.Card("4242424242424242", 12, time.Now().Year()+2, "123"),
	})
	if err != nil {
		t.Fatal(err)
	}
	paid, err := events.Wait(t, tokenim.EventOrderPaid).Order()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("webhook:", paid.ID == order.ID, paid.Status)
}

func ExampleNewWebhookReceiver() {
	t := &exampleT{}
	defer t.cleanup()
	webhookTest(t)
	// Output: webhook: true paid
}
