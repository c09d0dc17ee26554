package tokenim_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/sandbox"
)

// disputedPayment pays an order with the sandbox's fraudulent-dispute test
// card and moves the clock the hour after which its dispute opens.
func disputedPayment(client *tokenim.Client, srv *sandbox.Server, ref string) *tokenim.Dispute {
	ctx := context.Background()
	o, err := client.Orders.Create(ctx, &tokenim.OrderCreateParams{MerchantOrderID: ref, Amount: 8800, Currency: "CNY"})
	if err != nil {
		log.Fatal(err)
	}
	p, err := client.Payments.Create(ctx, &tokenim.PaymentCreateParams{OrderID: o.ID, Method: tokenim.Card("4000000000000259", 12, 2030, "123")})
	if err != nil {
		log.Fatal(err)
	}
	srv.Advance(time.Hour)
	page, err := client.Disputes.List(ctx, &tokenim.DisputeListParams{PaymentID: p.ID})
	if err != nil || len(page.Data) != 1 {
		log.Fatal("no dispute opened: ", err)
	}
	return page.Data[0]
}

func ExampleDisputesService_SubmitEvidence() {
	client, srv := exampleSandbox()
	defer srv.Close()
	ctx := context.Background()
	d := disputedPayment(client, srv, "A-1001")
	fmt.Println(d.Reason, d.Status, "due", d.EvidenceDueBy.Format(time.RFC3339))

	// Stage facts as they are found, then submit everything once.
	if _, err := client.Disputes.UpdateEvidence(ctx, d.ID, &tokenim.DisputeEvidence{
		ProductDescription: "Blue mug", ShippingTrackingNumber: "SF1234567890",
	}); err != nil {
		log.Fatal(err)
	}
	d, err := client.Disputes.SubmitEvidence(ctx, d.ID, &tokenim.DisputeEvidence{UncategorizedText: "Signed for by L. Chen."})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(d.Status, "with tracking", d.Evidence.ShippingTrackingNumber)

	// Answering twice is a conflict naming the dispute.
	_, err = client.Disputes.SubmitEvidence(ctx, d.ID, nil)
	var apiErr *tokenim.Error
	if errors.As(err, &apiErr) && apiErr.Code == tokenim.CodeDisputeNotOpen {
		fmt.Println("already answered:", apiErr.DisputeID == d.ID)
	}

	srv.Advance(24 * time.Hour) // the bank decides a day later
	d, err = client.Disputes.Get(ctx, d.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(d.Status, "; fee kept:", d.Fee)
	// Output:
	// fraudulent needs_response due 2026-11-28T10:30:00Z
	// under_review with tracking SF1234567890
	// already answered: true
	// won ; fee kept: 1500
}

func ExampleDisputesService_NeedingResponse() {
	client, srv := exampleSandbox()
	defer srv.Close()
	disputedPayment(client, srv, "A-1001")
	srv.Advance(48 * time.Hour)
	disputedPayment(client, srv, "A-1002")

	// In production pass time.Now(); here, the sandbox's clock.
	due, err := client.Disputes.NeedingResponse(context.Background(), srv.Clock().Now())
	if err != nil {
		log.Fatal(err)
	}
	for _, d := range due {
		fmt.Printf("%s left to answer the dispute of CNY %d.%02d\n", d.Left, d.Dispute.Amount/100, d.Dispute.Amount%100)
	}
	// Output:
	// 119h0m0s left to answer the dispute of CNY 88.00
	// 168h0m0s left to answer the dispute of CNY 88.00
}
