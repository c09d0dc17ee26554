package tokenimotel_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/tokenim/tokenim-go"
	tokenimotel "github.com/tokenim/tokenim-go/otel"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

const benchPayment = `{"id":"pay_123","object":"payment","order_id":"ord_123","amount":1999,"currency":"CNY",
"method":{"type":"card","card":{"brand":"visa","last4":"4242","exp_month":12,"exp_year":2030}},
"status":"succeeded","failure_code":null,"failure_message":null,"next_action":null,"fee":88,"net":1911,
"amount_refunded":0,"receipt_number":"RCPT-20261121-000001","created_at":"2026-11-21T09:30:00Z",
"succeeded_at":"2026-11-21T09:30:01Z","metadata":{}}`

// BenchmarkCreatePayment is Payments.Create over loopback with no observer
// (plain), with the observer on no-op providers (noop) and on the recording
// SDK, every span sampled and batched to a discarding exporter and every
// metric aggregated (sdk). The three run one after another in each round,
// so `-count` interleaves them; compare their medians.
func BenchmarkCreatePayment(b *testing.B) {
	body := []byte(benchPayment)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Request-Id", "req_bench000000000000000001")
		w.Header().Set("Idempotent-Replayed", "false")
		_, _ = w.Write(body)
	}))
	defer srv.Close()

	noopObs, err := tokenimotel.NewObserver(tokenimotel.WithTracerProvider(tracenoop.NewTracerProvider()),
		tokenimotel.WithMeterProvider(metricnoop.NewMeterProvider()))
	if err != nil {
		b.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	defer func() {
		_ = tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	}()
	sdkObs, err := tokenimotel.NewObserver(tokenimotel.WithTracerProvider(tp), tokenimotel.WithMeterProvider(mp))
	if err != nil {
		b.Fatal(err)
	}

	for _, bc := range []struct {
		name string
		obs  tokenim.Observer
	}{{"plain", nil}, {"noop", noopObs}, {"sdk", sdkObs}} {
		b.Run(bc.name, func(b *testing.B) {
			tr := http.DefaultTransport.(*http.Transport).Clone()
			tr.MaxIdleConnsPerHost = 16
			defer tr.CloseIdleConnections()
			opts := []tokenim.Option{tokenim.WithMerchantID("mch_bench"), tokenim.WithBaseURL(srv.URL),
				tokenim.WithHTTPClient(&http.Client{Transport: tr})}
			if bc.obs != nil {
				opts = append(opts, tokenim.WithObserver(bc.obs))
			}
			c, err := tokenim.NewClient("sk_test_bench", opts...)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			params := &tokenim.PaymentCreateParams{OrderID: "ord_123", Method: tokenim.Card("4242424242424242", 12, 2030, "123")}
			b.ReportAllocs()
			for b.Loop() {
				p, err := c.Payments.Create(ctx, params)
				if err != nil || p.ID != "pay_123" {
					b.Fatal(err)
				}
			}
		})
	}
}
