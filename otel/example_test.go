package tokenimotel_test

import (
	"context"
	"fmt"

	"github.com/tokenim/tokenim-go"
	tokenimotel "github.com/tokenim/tokenim-go/otel"
	"github.com/tokenim/tokenim-go/sandbox"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// A merchant's two lines: an observer, and the option that hands it to the
// client. Here the meter provider reads into memory instead of exporting;
// without options the observer uses the global providers.
func ExampleNewObserver() {
	srv := sandbox.NewServer()
	defer srv.Close()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))

	obs, err := tokenimotel.NewObserver(tokenimotel.WithMeterProvider(mp))
	if err != nil {
		panic(err)
	}
	client, err := tokenim.NewClient(srv.APIKey(), tokenim.WithMerchantID(srv.MerchantID), tokenim.WithBaseURL(srv.URL),
		tokenim.WithObserver(obs))
	if err != nil {
		panic(err)
	}

	ctx := context.Background()
	order, err := client.Orders.Create(ctx, &tokenim.OrderCreateParams{MerchantOrderID: "M-1", Amount: 1999, Currency: "CNY"})
	if err != nil {
		panic(err)
	}
	_, err = client.Payments.Create(ctx, &tokenim.PaymentCreateParams{OrderID: order.ID,
		Method: tokenim.Card("4000000000009995", 12, 2030, "123")})
	fmt.Println("declined:", tokenim.IsDeclined(err))

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		panic(err)
	}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if m.Name != "tokenim.client.calls" {
			continue
		}
		for _, p := range m.Data.(metricdata.Sum[int64]).DataPoints {
			op, _ := p.Attributes.Value(tokenimotel.AttrOperation)
			outcome, _ := p.Attributes.Value(tokenimotel.AttrOutcome)
			code, _ := p.Attributes.Value(tokenimotel.AttrDeclineCode)
			fmt.Printf("%s %s %s: %d\n", op.AsString(), outcome.AsString(), code.AsString(), p.Value)
		}
	}
	// Unordered output:
	// declined: true
	// Orders.Create succeeded : 1
	// Payments.Create declined insufficient_funds: 1
}
