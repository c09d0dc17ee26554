package tokenimtest_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/sandbox"
	"github.com/tokenim/tokenim-go/tokenimtest"
)

func ExampleNewClient() {
	t := &exampleT{} // in a test: its *testing.T
	defer t.cleanup()

	srv := sandbox.Start(t)
	// Extra options override the test defaults: here, no retries.
	client := tokenimtest.NewClient(t, srv, tokenim.WithMaxRetries(0))
	srv.SetMaintenance(true)

	_, err := client.Orders.List(context.Background(), nil)
	fmt.Println(errors.Is(err, tokenim.ErrUnavailable), len(srv.Requests()))
	// Output: true 1
}

func ExampleClientFor() {
	t := &exampleT{} // in a test: its *testing.T
	defer t.cleanup()
	ctx := context.Background()

	alice, srv := tokenimtest.Start(t)
	bob := tokenimtest.ClientFor(t, srv, srv.AddMerchant())

	order, err := alice.Orders.Create(ctx, &tokenim.OrderCreateParams{MerchantOrderID: "A-1", Amount: 100, Currency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = bob.Orders.Get(ctx, order.ID)
	fmt.Println("bob sees alice's order:", !errors.Is(err, tokenim.ErrNotFound))
	// Output: bob sees alice's order: false
}
