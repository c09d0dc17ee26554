package tokenim_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/tokenim/tokenim-go"
)

func ExampleNewClient() {
	client, err := tokenim.NewClient("sk_test_...",
		tokenim.WithMerchantID("mch_..."),
		tokenim.WithAppInfo("shopcart", "2.1.0", "https://shop.example"),
	)
	if err != nil {
		log.Fatal(err) // the error never contains the key
	}
	_ = client
}

func ExamplePaymentsService_Create() {
	client, err := tokenim.NewClient("sk_test_...", tokenim.WithMerchantID("mch_..."))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	order, err := client.Orders.Create(ctx, &tokenim.OrderCreateParams{
		MerchantOrderID: "M-1001", Amount: 1999, Currency: "CNY",
	})
	if err != nil {
		log.Fatal(err)
	}
	payment, err := client.Payments.Create(ctx, &tokenim.PaymentCreateParams{
		OrderID: order.ID,
		Method:  tokenim.Card("4242424242424242", 12, 2030, "123"),
	})
	var apiErr *tokenim.Error
	var unknown *tokenim.UnknownOutcomeError
	switch {
	case tokenim.IsDeclined(err) && errors.As(err, &apiErr):
		fmt.Println("declined:", apiErr.DeclineCode, "payment", apiErr.PaymentID)
	case errors.As(err, &unknown):
		// The platform may have charged the card: ask again with the same
		// key, which replays the stored outcome instead of charging twice.
		payment, err = client.Payments.Create(ctx, &tokenim.PaymentCreateParams{
			OrderID: order.ID,
			Method:  tokenim.Card("4242424242424242", 12, 2030, "123"),
		}, tokenim.WithIdempotencyKey(unknown.IdempotencyKey))
	}
	if err == nil {
		fmt.Println(payment.Status)
	}
}

func ExampleOrdersService_All() {
	client, err := tokenim.NewClient("sk_test_...", tokenim.WithMerchantID("mch_..."))
	if err != nil {
		log.Fatal(err)
	}
	for order, err := range client.Orders.All(context.Background(), &tokenim.OrderListParams{Status: tokenim.OrderStatusPaid}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(order.ID, order.Amount, order.Currency)
	}
}

func ExampleWithResponse() {
	client, err := tokenim.NewClient("sk_test_...", tokenim.WithMerchantID("mch_..."))
	if err != nil {
		log.Fatal(err)
	}
	var resp tokenim.Response
	_, err = client.Orders.Get(context.Background(), "ord_123", tokenim.WithResponse(&resp))
	fmt.Println(resp.RequestID, err) // the request id is there on errors too
}
