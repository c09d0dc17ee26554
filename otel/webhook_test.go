package tokenimotel_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tokenim/tokenim-go"
	tokenimotel "github.com/tokenim/tokenim-go/otel"
	"github.com/tokenim/tokenim-go/sandbox"
	"github.com/tokenim/tokenim-go/tokenimtest"
	"go.opentelemetry.io/otel/attribute"
)

// deliverWebhooks runs real deliveries from srv into a receiver whose
// handler reports to tm, plus a forged one and a redelivery: processed,
// rejected and duplicate results. It returns the receiver's endpoint secret.
func deliverWebhooks(t *testing.T, tm *telemetry, client *tokenim.Client, srv *sandbox.Server) string {
	t.Helper()
	rcv := tokenimtest.NewWebhookReceiver(t, srv, tokenim.WithWebhookObserver(tm.obs))
	require.NoError(t, checkout(t, client, "4242424242424242"))
	events := rcv.Events(t)
	require.NotEmpty(t, events)

	// A forgery: no signature at all.
	resp, err := http.Post(rcv.URL, "application/json", strings.NewReader(`{"id":"evt_forged","type":"order.paid"}`))
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)

	// A redelivery of an event already handled.
	req, err := tokenimtest.NewSignedWebhookRequest(rcv.URL, rcv.Endpoint.Secret.Reveal(), events[0])
	require.NoError(t, err)
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	return rcv.Endpoint.Secret.Reveal()
}

func TestObserver_countsWebhookDeliveriesByResult(t *testing.T) {
	t.Parallel()
	tm := newTelemetry(t)
	client, srv := tokenimtest.Start(t)

	deliverWebhooks(t, tm, client, srv)

	processed := tm.counter(t, "tokenim.webhook.deliveries", tokenimotel.AttrWebhookResult.String("processed"))
	assert.Positive(t, processed, "the sandbox's deliveries were processed")
	assert.EqualValues(t, processed, tm.counter(t, "tokenim.webhook.deliveries", tokenimotel.AttrWebhookResult.String("processed"),
		tokenimotel.AttrEventType.String("payment.succeeded"))+
		tm.counter(t, "tokenim.webhook.deliveries", tokenimotel.AttrWebhookResult.String("processed"), tokenimotel.AttrEventType.String("order.paid"))+
		tm.counter(t, "tokenim.webhook.deliveries", tokenimotel.AttrWebhookResult.String("processed"), tokenimotel.AttrEventType.String("order.created"))+
		tm.counter(t, "tokenim.webhook.deliveries", tokenimotel.AttrWebhookResult.String("processed"), tokenimotel.AttrEventType.String("payment.created")),
		"each processed delivery carries its event type")
	assert.EqualValues(t, 1, tm.counter(t, "tokenim.webhook.deliveries", tokenimotel.AttrWebhookResult.String("rejected"),
		tokenimotel.AttrWebhookReason.String("missing_header")))
	assert.EqualValues(t, 1, tm.counter(t, "tokenim.webhook.deliveries", tokenimotel.AttrWebhookResult.String("duplicate")))

	var handled uint64
	for _, sm := range tm.metrics(t).ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != "tokenim.webhook.handler.duration" {
				continue
			}
			for _, set := range metricAttributeSets(m) {
				_, ok := set.Value(attribute.Key("tokenim.webhook.result"))
				assert.True(t, ok)
			}
			for _, p := range histogramPoints(m) {
				handled += p.Count
			}
		}
	}
	assert.EqualValues(t, processed+2, handled, "every delivery has its duration")
}

const testWebhookSecret = "whsec_dGVzdC1zZWNyZXQtdGVzdC1zZWNyZXQtdGVzdC1zZWNyZXQ="

func mustVerifier(t *testing.T) *tokenim.WebhookVerifier {
	t.Helper()
	v, err := tokenim.NewWebhookVerifier([]string{testWebhookSecret})
	require.NoError(t, err)
	return v
}

func TestObserver_webhookResultGoesOnTheServersSpan(t *testing.T) {
	t.Parallel()
	tm := newTelemetry(t)
	h, err := tokenim.NewWebhookHandler(mustVerifier(t), func(context.Context, *tokenim.Event) error { return nil },
		tokenim.WithWebhookObserver(tm.obs))
	require.NoError(t, err)
	ctx, span := tm.tracer.Start(context.Background(), "POST /webhooks")
	req, err := tokenimtest.NewSignedWebhookRequest("http://merchant.test/webhooks", testWebhookSecret,
		&tokenim.Event{ID: "evt_1", Object: "event", Type: tokenim.EventOrderPaid})
	require.NoError(t, err)

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req.WithContext(ctx))
	span.End()

	require.Equal(t, http.StatusOK, rec.Code)
	spans := tm.spans.GetSpans().Snapshots()
	require.Len(t, spans, 1)
	a := attrs(spans[0])
	assert.Equal(t, "processed", a["tokenim.webhook.result"].AsString())
	assert.Equal(t, "evt_1", a["tokenim.webhook.id"].AsString())
	assert.Equal(t, "order.paid", a["tokenim.event_type"].AsString())
}
