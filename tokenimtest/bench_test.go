package tokenimtest_test

import (
	"context"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/sandbox"
	"github.com/tokenim/tokenim-go/tokenimtest"
)

// BenchmarkStart measures what a test pays for its own sandbox and client:
// start, one authenticated call, close.
func BenchmarkStart(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		srv := sandbox.NewServer()
		client := tokenimtest.NewClient(b, srv)
		if _, err := client.Orders.List(context.Background(), nil); err != nil {
			b.Fatal(err)
		}
		srv.Close()
	}
}

// BenchmarkCheckout is one full checkout as a merchant's test runs it: an
// order, a card payment, and the order.paid webhook delivered, verified and
// handled by a WebhookReceiver. Run it as -benchtime 1000x for the wall
// time and allocations of 1 000 checkouts in one test process.
func BenchmarkCheckout(b *testing.B) {
	client, srv := tokenimtest.Start(b)
	events := tokenimtest.NewWebhookReceiver(b, srv)
	ctx := context.Background()
	card := tokenim.Card("4242424242424242", 12, time.Now().Year()+2, "123")
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n++
		order, err := client.Orders.Create(ctx, &tokenim.OrderCreateParams{MerchantOrderID: "B-" + strconv.Itoa(n), Amount: 1999, Currency: "CNY"})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := client.Payments.Create(ctx, &tokenim.PaymentCreateParams{OrderID: order.ID, Method: card}); err != nil {
			b.Fatal(err)
		}
		if paid, err := events.Wait(b, tokenim.EventOrderPaid).Order(); err != nil || paid.ID != order.ID {
			b.Fatal("order.paid for another order, or", err)
		}
	}
}

// BenchmarkSandboxHeapPerOrder reports the sandbox's live heap per stored
// order (bytes/order) after b.N orders, created without idempotency keys:
// run it as -benchtime 200000x.
func BenchmarkSandboxHeapPerOrder(b *testing.B) {
	client, srv := tokenimtest.Start(b)
	ctx := context.Background()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	n := 0
	for b.Loop() {
		n++
		// Without an idempotency key, so the sandbox's bounded key store
		// neither fills nor counts: the heap is the orders'.
		req, err := client.NewRequest(ctx, "POST", "/v1/orders", &tokenim.OrderCreateParams{MerchantOrderID: "H-" + strconv.Itoa(n), Amount: 1999, Currency: "CNY"})
		if err != nil {
			b.Fatal(err)
		}
		req.IdempotencyKey = ""
		if _, err := client.Do(req, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/float64(n), "heap-B/order")
	runtime.KeepAlive(srv)
}
