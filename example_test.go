package tokenim_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/sandbox"
)

// These examples run against the in-process sandbox, so `go test` checks
// their output. Against the platform, drop the sandbox and WithBaseURL: a
// test key (sk_test_…) selects https://sandbox.tokenim.com, a live key the
// live API.

// exampleSandbox starts a sandbox with its clock frozen on a fixed day and a
// client for it.
func exampleSandbox(opts ...tokenim.Option) (*tokenim.Client, *sandbox.Server) {
	srv := sandbox.NewServer(sandbox.WithFrozenClock(time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)))
	opts = append([]tokenim.Option{tokenim.WithMerchantID(srv.MerchantID), tokenim.WithBaseURL(srv.URL)}, opts...)
	client, err := tokenim.NewClient(srv.APIKey(), opts...)
	if err != nil {
		log.Fatal(err)
	}
	return client, srv
}

func ExampleNewClient() {
	srv := sandbox.NewServer()
	defer srv.Close()

	client, err := tokenim.NewClient(srv.APIKey(), // in production: os.Getenv("TOKENIM_API_KEY")
		tokenim.WithMerchantID(srv.MerchantID),
		tokenim.WithBaseURL(srv.URL), // omit to use the default for the key
		tokenim.WithAppInfo("shopcart", "2.1.0", "https://shop.example"),
	)
	if err != nil {
		log.Fatal(err) // the error never contains the key
	}
	status, err := client.Status.Get(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(status.Status)

	_, err = tokenim.NewClient("pk_test_oops", tokenim.WithMerchantID("mch_1"))
	fmt.Println(err)
	// Output:
	// operational
	// tokenim: invalid api key: must start with sk_test_ or sk_live_
}

func ExampleOrdersService_Create() {
	client, srv := exampleSandbox()
	defer srv.Close()

	order, err := client.Orders.Create(context.Background(), &tokenim.OrderCreateParams{
		MerchantOrderID: "A-1001",
		Amount:          1999, // CNY 19.99, in minor units
		Currency:        "CNY",
		Metadata:        map[string]string{"cart": "c-77"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(order.Status, order.Amount, order.Currency, order.ExpiresAt.Sub(order.CreatedAt))

	// Parameters are checked before anything is sent.
	_, err = client.Orders.Create(context.Background(), &tokenim.OrderCreateParams{MerchantOrderID: "A-1002", Amount: 0, Currency: "CNY"})
	fmt.Println(err)
	// Output:
	// open 1999 CNY 30m0s
	// tokenim: invalid amount: must be between 1 and 99999999999 minor units, got 0
}

func ExamplePaymentsService_Create() {
	client, srv := exampleSandbox()
	defer srv.Close()
	ctx := context.Background()

	order, err := client.Orders.Create(ctx, &tokenim.OrderCreateParams{MerchantOrderID: "A-1001", Amount: 1999, Currency: "CNY"})
	if err != nil {
		log.Fatal(err)
	}
	payment, err := client.Payments.Create(ctx, &tokenim.PaymentCreateParams{
		OrderID: order.ID,
		Method:  tokenim.Card("4242424242424242", 12, 2030, "123"),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(payment.Status, payment.Method.Card.Brand, payment.Method.Card.Last4)
	fmt.Println("fee", payment.Fee, "net", payment.Net)

	receipt, err := client.Payments.Receipt(ctx, payment.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(receipt.MethodSummary, receipt.Amount)

	// The platform never takes a second payment for a paid order.
	_, err = client.Payments.Create(ctx, &tokenim.PaymentCreateParams{OrderID: order.ID, Method: tokenim.Wallet(tokenim.WalletAlipay)})
	var apiErr *tokenim.Error
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.Code, apiErr.PaymentID == payment.ID)
	}
	// Output:
	// succeeded visa 4242
	// fee 88 net 1911
	// visa •••• 4242 1999
	// order_already_paid true
}

func ExamplePaymentsService_Create_declined() {
	client, srv := exampleSandbox()
	defer srv.Close()
	ctx := context.Background()

	order, err := client.Orders.Create(ctx, &tokenim.OrderCreateParams{MerchantOrderID: "A-1001", Amount: 1999, Currency: "CNY"})
	if err != nil {
		log.Fatal(err)
	}
	_, err = client.Payments.Create(ctx, &tokenim.PaymentCreateParams{
		OrderID: order.ID,
		Method:  tokenim.Card("4000000000009995", 12, 2030, "123"), // a test card without funds
	})
	var apiErr *tokenim.Error
	if tokenim.IsDeclined(err) && errors.As(err, &apiErr) {
		fmt.Println("declined:", apiErr.DeclineCode)
		failed, err := client.Payments.Get(ctx, apiErr.PaymentID) // the attempt is recorded
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(failed.Status, failed.FailureCode)
	}
	// The order stays open: ask the customer for another card.
	order, err = client.Orders.Get(ctx, order.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(order.Status)
	// Output:
	// declined: insufficient_funds
	// failed insufficient_funds
	// open
}

func ExampleUnknownOutcomeError() {
	client, srv := exampleSandbox(tokenim.WithRetryWait(time.Millisecond, 10*time.Millisecond))
	defer srv.Close()
	ctx := context.Background()

	order, err := client.Orders.Create(ctx, &tokenim.OrderCreateParams{MerchantOrderID: "A-1001", Amount: 1999, Currency: "CNY"})
	if err != nil {
		log.Fatal(err)
	}
	// Every answer to a payment is lost after the platform committed it.
	if err := srv.SetFaults(sandbox.FaultPlan{Rules: []sandbox.FaultRule{
		{Method: "POST", Path: "/v1/payments", Kind: sandbox.FaultDropAfterCommit, Rate: 1},
	}}); err != nil {
		log.Fatal(err)
	}
	params := &tokenim.PaymentCreateParams{OrderID: order.ID, Method: tokenim.Card("4242424242424242", 12, 2030, "123")}
	_, err = client.Payments.Create(ctx, params)
	var unknown *tokenim.UnknownOutcomeError
	if !errors.As(err, &unknown) {
		log.Fatal(err)
	}
	fmt.Println("outcome unknown:", errors.Is(err, tokenim.ErrUnknownOutcome))

	// Later (the network is back): the same call with the same key replays
	// the committed payment instead of charging again.
	srv.ClearFaults()
	var resp tokenim.Response
	payment, err := client.Payments.Create(ctx, params,
		tokenim.WithIdempotencyKey(unknown.IdempotencyKey), tokenim.WithResponse(&resp))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(payment.Status, "replayed:", resp.Replayed)
	// Output:
	// outcome unknown: true
	// succeeded replayed: true
}

func ExampleRefundsService_Create() {
	client, srv := exampleSandbox()
	defer srv.Close()
	ctx := context.Background()

	order, err := client.Orders.Create(ctx, &tokenim.OrderCreateParams{MerchantOrderID: "A-1001", Amount: 1999, Currency: "CNY"})
	if err != nil {
		log.Fatal(err)
	}
	payment, err := client.Payments.Create(ctx, &tokenim.PaymentCreateParams{OrderID: order.ID, Method: tokenim.Wallet(tokenim.WalletWeChatPay)})
	if err != nil {
		log.Fatal(err)
	}
	refund, err := client.Refunds.Create(ctx, &tokenim.RefundCreateParams{
		PaymentID: payment.ID,
		Amount:    500, // or Remaining: true for all that is left
		Reason:    tokenim.RefundReasonRequestedByCustomer,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(refund.Status, refund.Amount)

	srv.Advance(5 * time.Minute) // refunds settle 5 minutes later on the sandbox clock
	refund, err = client.Refunds.Get(ctx, refund.ID)
	if err != nil {
		log.Fatal(err)
	}
	order, err = client.Orders.Get(ctx, order.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(refund.Status, order.Status, order.AmountRefunded)
	// Output:
	// pending 500
	// succeeded partially_refunded 500
}

func ExampleOrdersService_All() {
	client, srv := exampleSandbox()
	defer srv.Close()
	ctx := context.Background()
	for _, ref := range []string{"A-1", "A-2", "A-3"} {
		if _, err := client.Orders.Create(ctx, &tokenim.OrderCreateParams{MerchantOrderID: ref, Amount: 100, Currency: "JPY"}); err != nil {
			log.Fatal(err)
		}
	}

	// All fetches page after page (here 2 orders a page) as the loop asks.
	params := &tokenim.OrderListParams{ListParams: tokenim.ListParams{Limit: 2}}
	for order, err := range client.Orders.All(ctx, params) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(order.MerchantOrderID, order.Status)
	}
	// Output:
	// A-3 open
	// A-2 open
	// A-1 open
}

func ExampleWithResponse() {
	client, srv := exampleSandbox()
	defer srv.Close()

	var resp tokenim.Response
	_, err := client.Orders.Get(context.Background(), "ord_missing", tokenim.WithResponse(&resp))
	fmt.Println(errors.Is(err, tokenim.ErrNotFound), resp.StatusCode, resp.RequestID != "")
	// Output: true 404 true
}

// Printing a resource gives one readable line: ids, status and money, never
// a card number or a secret.
func ExamplePayment_String() {
	client, srv := exampleSandbox()
	defer srv.Close()
	ctx := context.Background()

	order, err := client.Orders.Create(ctx, &tokenim.OrderCreateParams{MerchantOrderID: "A-2001", Amount: 1999, Currency: "CNY"})
	if err != nil {
		log.Fatal(err)
	}
	payment, err := client.Payments.Create(ctx, &tokenim.PaymentCreateParams{OrderID: order.ID, Method: tokenim.Card("4242424242424242", 12, 2030, "123")})
	if err != nil {
		log.Fatal(err)
	}
	refund, err := client.Refunds.Create(ctx, &tokenim.RefundCreateParams{PaymentID: payment.ID, Amount: 500})
	if err != nil {
		log.Fatal(err)
	}
	// Ids differ from run to run; the example masks them.
	mask := strings.NewReplacer(order.ID, "ord_…", payment.ID, "pay_…", refund.ID, "re_…")
	fmt.Println(mask.Replace(payment.String()))
	fmt.Println(mask.Replace(refund.String()))
	// Output:
	// payment pay_… succeeded: CNY 19.99 by card visa ****4242 (order ord_…)
	// refund re_… pending: CNY 5.00 of payment pay_…
}
