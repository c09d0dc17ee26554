package tokenimotel_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tokenim/tokenim-go"
	tokenimotel "github.com/tokenim/tokenim-go/otel"
	"github.com/tokenim/tokenim-go/sandbox"
	"github.com/tokenim/tokenim-go/tokenimtest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// telemetry is an observer wired to an in-memory span exporter and a
// manual metric reader, private to one test.
type telemetry struct {
	obs    *tokenimotel.Observer
	spans  *tracetest.InMemoryExporter
	reader *sdkmetric.ManualReader
	tracer trace.Tracer // of the same provider, for spans a test starts itself
}

func newTelemetry(t *testing.T) *telemetry {
	t.Helper()
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	obs, err := tokenimotel.NewObserver(tokenimotel.WithTracerProvider(tp), tokenimotel.WithMeterProvider(mp))
	require.NoError(t, err)
	return &telemetry{obs: obs, spans: spans, reader: reader, tracer: tp.Tracer("test")}
}

func (tm *telemetry) metrics(t *testing.T) metricdata.ResourceMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, tm.reader.Collect(context.Background(), &rm))
	return rm
}

// counter sums the points of counter name whose attributes include want.
func (tm *telemetry) counter(t *testing.T, name string, want ...attribute.KeyValue) int64 {
	t.Helper()
	var sum int64
	for _, sm := range tm.metrics(t).ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			for _, p := range m.Data.(metricdata.Sum[int64]).DataPoints {
				if hasAll(p.Attributes, want) {
					sum += p.Value
				}
			}
		}
	}
	return sum
}

func hasAll(set attribute.Set, want []attribute.KeyValue) bool {
	for _, kv := range want {
		v, ok := set.Value(kv.Key)
		if !ok || v != kv.Value {
			return false
		}
	}
	return true
}

func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value
	}
	return m
}

func card(number string) tokenim.PaymentMethodParams { return tokenim.Card(number, 12, 2030, "987") }

// checkout creates an order and pays it with the card number.
func checkout(t *testing.T, c *tokenim.Client, number string) error {
	t.Helper()
	ctx := context.Background()
	o, err := c.Orders.Create(ctx, &tokenim.OrderCreateParams{MerchantOrderID: "M-" + itoa(orderSeq.Add(1)), Amount: 1999, Currency: "CNY"})
	require.NoError(t, err)
	_, err = c.Payments.Create(ctx, &tokenim.PaymentCreateParams{OrderID: o.ID, Method: card(number)})
	return err
}

var orderSeq atomic.Int64

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func TestObserver_retriedCallYieldsAttemptSpansUnderTheCallSpan(t *testing.T) {
	t.Parallel()
	tm := newTelemetry(t)
	var (
		mu          sync.Mutex
		traceparent []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		traceparent = append(traceparent, r.Header.Get("Traceparent"))
		n := len(traceparent)
		mu.Unlock()
		if n == 1 {
			w.Header().Set("Content-Type", "application/problem+json")
			w.Header().Set("Request-Id", "req_first")
			w.WriteHeader(503)
			_, _ = w.Write([]byte(`{"type":"t","title":"unavailable","status":503,"code":"service_unavailable"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Request-Id", "req_second")
		_, _ = w.Write([]byte(`{"id":"pay_123","object":"payment","status":"succeeded"}`))
	}))
	t.Cleanup(srv.Close)
	c, err := tokenim.NewClient("sk_test_otel", tokenim.WithMerchantID("mch_otel"), tokenim.WithBaseURL(srv.URL),
		tokenim.WithHTTPClient(srv.Client()), tokenim.WithRetryWait(tokenimtest.RetryWaitMin, tokenimtest.RetryWaitMax),
		tokenim.WithObserver(tm.obs))
	require.NoError(t, err)

	_, err = c.Payments.Create(context.Background(), &tokenim.PaymentCreateParams{OrderID: "ord_1", Method: card("4242424242424242")})
	require.NoError(t, err)

	spans := tm.spans.GetSpans().Snapshots()
	require.Len(t, spans, 3, "two attempts and the call")
	first, second, call := spans[0], spans[1], spans[2]
	assert.Equal(t, "Payments.Create", call.Name())
	assert.Equal(t, trace.SpanKindInternal, call.SpanKind())
	for i, a := range []sdktrace.ReadOnlySpan{first, second} {
		assert.Equal(t, "POST /v1/payments", a.Name())
		assert.Equal(t, trace.SpanKindClient, a.SpanKind())
		assert.Equal(t, call.SpanContext().SpanID(), a.Parent().SpanID(), "attempt %d is a child of the call", i+1)
		assert.Equal(t, call.SpanContext().TraceID(), a.SpanContext().TraceID())
		// The trace context that reached the server is the attempt's own.
		want := propagation.TraceContext{}
		carrier := propagation.HeaderCarrier{"Traceparent": {traceparent[i]}}
		sc := trace.SpanContextFromContext(want.Extract(context.Background(), carrier))
		assert.Equal(t, a.SpanContext().SpanID(), sc.SpanID(), "attempt %d sent its span in traceparent", i+1)
		assert.Equal(t, a.SpanContext().TraceID(), sc.TraceID())
	}
	fa, sa, ca := attrs(first), attrs(second), attrs(call)
	assert.Equal(t, "POST", fa["http.request.method"].AsString())
	assert.Equal(t, "127.0.0.1", fa["server.address"].AsString())
	assert.Equal(t, srv.URL+"/v1/payments", fa["url.full"].AsString())
	assert.Equal(t, "/v1/payments", fa["url.template"].AsString())
	assert.EqualValues(t, 503, fa["http.response.status_code"].AsInt64())
	assert.Equal(t, "503", fa["error.type"].AsString())
	assert.Equal(t, "service_unavailable", fa["tokenim.error_code"].AsString())
	assert.Equal(t, codes.Error, first.Status().Code)
	_, resent := fa["http.request.resend_count"]
	assert.False(t, resent, "the first attempt is not a resend")
	assert.EqualValues(t, 1, sa["http.request.resend_count"].AsInt64())
	assert.EqualValues(t, 200, sa["http.response.status_code"].AsInt64())
	assert.Equal(t, codes.Unset, second.Status().Code)
	_, hasErr := sa["error.type"]
	assert.False(t, hasErr)

	assert.Equal(t, "Payments.Create", ca["tokenim.operation"].AsString())
	assert.Regexp(t, `^[0-9a-f-]{36}$`, ca["tokenim.idempotency_key"].AsString())
	assert.Equal(t, "succeeded", ca["tokenim.outcome"].AsString())
	assert.False(t, ca["tokenim.outcome_unknown"].AsBool())
	assert.False(t, ca["tokenim.replayed"].AsBool())
	assert.EqualValues(t, 2, ca["tokenim.attempts"].AsInt64())
	assert.Equal(t, codes.Unset, call.Status().Code)

	assert.EqualValues(t, 1, tm.counter(t, "tokenim.client.retries", tokenimotel.AttrOperation.String("Payments.Create"), attribute.String("error.type", "503")))
	assert.EqualValues(t, 1, tm.counter(t, "tokenim.client.calls", tokenimotel.AttrOperation.String("Payments.Create"), tokenimotel.AttrOutcome.String("succeeded")))
	hist := histogram(t, tm, "http.client.request.duration")
	require.Len(t, hist, 2, "one series per status")
	var total uint64
	for _, p := range hist {
		total += p.Count
		assert.Equal(t, "POST", value(p.Attributes, "http.request.method"))
		assert.Equal(t, "/v1/payments", value(p.Attributes, "url.template"))
	}
	assert.EqualValues(t, 2, total)
}

func histogram(t *testing.T, tm *telemetry, name string) []metricdata.HistogramDataPoint[float64] {
	t.Helper()
	for _, sm := range tm.metrics(t).ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				assert.Equal(t, "s", m.Unit)
				return m.Data.(metricdata.Histogram[float64]).DataPoints
			}
		}
	}
	return nil
}

func value(set attribute.Set, key attribute.Key) string {
	v, _ := set.Value(key)
	return v.String()
}

func TestObserver_labelsDeclinesAndUnknownOutcomes(t *testing.T) {
	t.Parallel()
	tm := newTelemetry(t)
	_, srv := tokenimtest.Start(t)
	client := tokenimtest.NewClient(t, srv, tokenim.WithObserver(tm.obs))

	require.NoError(t, checkout(t, client, "4242424242424242"))
	err := checkout(t, client, "4000000000009995")
	require.True(t, tokenim.IsDeclined(err))

	// Every attempt of the payment is dropped after it committed: the
	// outcome is unknown.
	require.NoError(t, srv.SetFaults(sandbox.FaultPlan{Seed: 1, Rules: []sandbox.FaultRule{
		{Method: "POST", Path: "/v1/payments", Kind: sandbox.FaultDropAfterCommit, Rate: 1},
	}}))
	err = checkout(t, client, "4242424242424242")
	require.ErrorIs(t, err, tokenim.ErrUnknownOutcome)

	op := tokenimotel.AttrOperation.String("Payments.Create")
	assert.EqualValues(t, 1, tm.counter(t, "tokenim.client.calls", op, tokenimotel.AttrOutcome.String("succeeded")))
	assert.EqualValues(t, 1, tm.counter(t, "tokenim.client.calls", op, tokenimotel.AttrOutcome.String("declined"),
		tokenimotel.AttrDeclineCode.String("insufficient_funds")))
	assert.EqualValues(t, 1, tm.counter(t, "tokenim.client.calls", op, tokenimotel.AttrOutcome.String("unknown")))
	assert.EqualValues(t, 1, tm.counter(t, "tokenim.client.unknown_outcomes", op))
	assert.EqualValues(t, 3, tm.counter(t, "tokenim.client.calls", tokenimotel.AttrOperation.String("Orders.Create"), tokenimotel.AttrOutcome.String("succeeded")))
	assert.EqualValues(t, 3, tm.counter(t, "tokenim.client.retries", op), "the unknown call retried its three times")

	var declined, unknown sdktrace.ReadOnlySpan
	for _, s := range tm.spans.GetSpans().Snapshots() {
		if s.Name() != "Payments.Create" {
			continue
		}
		switch attrs(s)["tokenim.outcome"].AsString() {
		case "declined":
			declined = s
		case "unknown":
			unknown = s
		}
	}
	require.NotNil(t, declined)
	require.NotNil(t, unknown)
	da, ua := attrs(declined), attrs(unknown)
	assert.Equal(t, "card_declined", da["tokenim.error_code"].AsString())
	assert.Equal(t, "insufficient_funds", da["tokenim.decline_code"].AsString())
	assert.EqualValues(t, 402, da["http.response.status_code"].AsInt64())
	assert.Equal(t, codes.Error, declined.Status().Code)
	assert.Equal(t, "insufficient_funds", declined.Status().Description)
	assert.True(t, ua["tokenim.outcome_unknown"].AsBool())
	assert.EqualValues(t, 4, ua["tokenim.attempts"].AsInt64())
	assert.Equal(t, "unknown_outcome", ua["error.type"].AsString())
	assert.NotEmpty(t, ua["tokenim.idempotency_key"].AsString(), "the key to resume with")
}

func TestObserver_noAttributeHoldsASecret(t *testing.T) {
	t.Parallel()
	tm := newTelemetry(t)
	_, srv := tokenimtest.Start(t)
	client := tokenimtest.NewClient(t, srv, tokenim.WithObserver(tm.obs))
	const cvc = "987"

	// Success, decline, invalid card, retried faults, a list with a query
	// and a webhook delivery: every path that records something.
	require.NoError(t, checkout(t, client, "4242424242424242"))
	require.Error(t, checkout(t, client, "4000000000000002"))
	require.Error(t, checkout(t, client, "4242424242424241"))
	require.NoError(t, srv.SetFaults(sandbox.FaultPlan{Seed: 3, Rules: []sandbox.FaultRule{
		{Path: "/v1/payments", Kind: sandbox.FaultErrorBeforeCommit, Status: 503, Rate: 0.5},
	}}))
	for range 4 {
		_ = checkout(t, client, "4242424242424242")
	}
	srv.ClearFaults()
	for _, err := range client.Payments.All(context.Background(), &tokenim.PaymentListParams{Status: tokenim.PaymentStatusSucceeded}) {
		require.NoError(t, err)
	}
	endpointSecret := deliverWebhooks(t, tm, client, srv)

	secrets := []string{srv.APIKey(), "4242424242424242", "4000000000000002", "4242424242424241", srv.WebhookSecret(),
		strings.TrimPrefix(srv.WebhookSecret(), tokenim.WebhookSecretPrefix), endpointSecret,
		strings.TrimPrefix(endpointSecret, tokenim.WebhookSecretPrefix)}
	check := func(where string, v attribute.Value) {
		s := v.String()
		assert.NotEqual(t, cvc, s, "%s holds the CVC", where)
		for _, secret := range secrets {
			assert.NotContains(t, s, secret, "%s holds a secret", where)
		}
		assert.NotContains(t, s, "Bearer", where)
	}
	spans := tm.spans.GetSpans().Snapshots()
	require.NotEmpty(t, spans)
	for _, s := range spans {
		check(s.Name()+" name", attribute.StringValue(s.Name()))
		check(s.Name()+" status", attribute.StringValue(s.Status().Description))
		for _, kv := range s.Attributes() {
			check(s.Name()+" "+string(kv.Key), kv.Value)
		}
		for _, e := range s.Events() {
			check(s.Name()+" event", attribute.StringValue(e.Name))
			for _, kv := range e.Attributes {
				check(s.Name()+" event "+string(kv.Key), kv.Value)
			}
		}
	}
	points := 0
	for _, sm := range tm.metrics(t).ScopeMetrics {
		for _, m := range sm.Metrics {
			for _, set := range metricAttributeSets(m) {
				points++
				for _, kv := range set.ToSlice() {
					check(m.Name+" "+string(kv.Key), kv.Value)
				}
			}
		}
	}
	assert.Greater(t, points, 5)
}

func histogramPoints(m metricdata.Metrics) []metricdata.HistogramDataPoint[float64] {
	if h, ok := m.Data.(metricdata.Histogram[float64]); ok {
		return h.DataPoints
	}
	return nil
}

func metricAttributeSets(m metricdata.Metrics) []attribute.Set {
	var sets []attribute.Set
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, p := range d.DataPoints {
			sets = append(sets, p.Attributes)
		}
	case metricdata.Histogram[float64]:
		for _, p := range d.DataPoints {
			sets = append(sets, p.Attributes)
		}
	}
	return sets
}

func TestObserver_listQueryValuesAreRedacted(t *testing.T) {
	t.Parallel()
	tm := newTelemetry(t)
	_, srv := tokenimtest.Start(t)
	client := tokenimtest.NewClient(t, srv, tokenim.WithObserver(tm.obs))

	_, err := client.Payments.List(context.Background(), &tokenim.PaymentListParams{OrderID: "ord_secretive00000000000000", Status: tokenim.PaymentStatusSucceeded})
	require.NoError(t, err)

	spans := tm.spans.GetSpans().Snapshots()
	require.Len(t, spans, 2)
	a := attrs(spans[0])
	assert.Equal(t, "GET /v1/payments", spans[0].Name())
	assert.Equal(t, "/v1/payments", a["url.template"].AsString())
	full := a["url.full"].AsString()
	assert.Contains(t, full, "order_id=REDACTED")
	assert.NotContains(t, full, "ord_secretive")
}

func TestObserver_injectsTheChosenPropagator(t *testing.T) {
	t.Parallel()
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	}))
	t.Cleanup(srv.Close)
	tp := sdktrace.NewTracerProvider()
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	obs, err := tokenimotel.NewObserver(tokenimotel.WithTracerProvider(tp),
		tokenimotel.WithPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})))
	require.NoError(t, err)
	c, err := tokenim.NewClient("sk_test_otel", tokenim.WithMerchantID("mch_otel"), tokenim.WithBaseURL(srv.URL),
		tokenim.WithHTTPClient(srv.Client()), tokenim.WithObserver(obs))
	require.NoError(t, err)

	_, err = c.Status.Get(context.Background())
	require.NoError(t, err)

	assert.Regexp(t, `^00-[0-9a-f]{32}-[0-9a-f]{16}-01$`, got.Get("Traceparent"))
}

func TestObserver_traceHeadersDoNotBreakIdempotentReplay(t *testing.T) {
	t.Parallel()
	tm := newTelemetry(t)
	_, srv := tokenimtest.Start(t)
	client := tokenimtest.NewClient(t, srv, tokenim.WithObserver(tm.obs), tokenim.WithMaxRetries(0))
	ctx := context.Background()
	o, err := client.Orders.Create(ctx, &tokenim.OrderCreateParams{MerchantOrderID: "M-replay", Amount: 1999, Currency: "CNY"})
	require.NoError(t, err)
	params := &tokenim.PaymentCreateParams{OrderID: o.ID, Method: card("4242424242424242")}
	require.NoError(t, srv.SetFaults(sandbox.FaultPlan{Seed: 1, Rules: []sandbox.FaultRule{
		{Method: "POST", Path: "/v1/payments", Kind: sandbox.FaultDropAfterCommit, Rate: 1},
	}}))
	_, err = client.Payments.Create(ctx, params)
	var unknown *tokenim.UnknownOutcomeError
	require.ErrorAs(t, err, &unknown)
	srv.ClearFaults()

	// The replay carries a new traceparent (a new attempt span) and the
	// same key: the platform answers with the stored payment.
	var resp tokenim.Response
	_, err = client.Payments.Create(ctx, params, tokenim.WithIdempotencyKey(unknown.IdempotencyKey), tokenim.WithResponse(&resp))
	require.NoError(t, err)
	assert.True(t, resp.Replayed)

	var calls []sdktrace.ReadOnlySpan
	for _, s := range tm.spans.GetSpans().Snapshots() {
		if s.Name() == "Payments.Create" {
			calls = append(calls, s)
		}
	}
	require.Len(t, calls, 2)
	assert.NotEqual(t, calls[0].SpanContext().TraceID(), calls[1].SpanContext().TraceID())
	assert.Equal(t, "unknown", attrs(calls[0])["tokenim.outcome"].AsString())
	assert.Equal(t, "succeeded", attrs(calls[1])["tokenim.outcome"].AsString())
	assert.True(t, attrs(calls[1])["tokenim.replayed"].AsBool())
	assert.Equal(t, unknown.IdempotencyKey, attrs(calls[1])["tokenim.idempotency_key"].AsString())
}
