package tokenim_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/sandbox"
	"github.com/tokenim/tokenim-go/tokenimtest"
)

// merchantEndpoint is a merchant's webhook URL: the SDK's handler behind a
// switch that can fail the next deliveries of an event type, and a log of
// every request as received, so a test can resend one.
type merchantEndpoint struct {
	srv     *httptest.Server
	handler *tokenim.WebhookHandler
	secrets tokenim.WebhookSecrets // the endpoint's, once it exists

	mu       sync.Mutex
	failNext map[tokenim.EventType]int      // deliveries of that type to answer 500
	received []*http.Request                // every request, body readable again
	handled  map[string][]tokenim.EventType // event id → what the merchant's function saw
}

func newMerchantEndpoint(t *testing.T) *merchantEndpoint {
	m := &merchantEndpoint{failNext: map[tokenim.EventType]int{}, handled: map[string][]tokenim.EventType{}}
	verifier, err := tokenim.NewWebhookVerifier(nil, tokenim.WithWebhookSecretsFunc(m.secrets.Get))
	require.NoError(t, err)
	m.handler, err = tokenim.NewWebhookHandler(verifier, func(_ context.Context, e *tokenim.Event) error {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.handled[e.ID] = append(m.handled[e.ID], e.Type)
		return nil
	})
	require.NoError(t, err)
	m.srv = httptest.NewServer(http.HandlerFunc(m.serve))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *merchantEndpoint) setSecrets(_ *testing.T, secrets ...string) { m.secrets.Set(secrets...) }

func (m *merchantEndpoint) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	kept := r.Clone(context.Background())
	kept.Body = io.NopCloser(bytes.NewReader(body))
	typ := tokenim.EventType(eventTypeOf(body))

	m.mu.Lock()
	m.received = append(m.received, kept)
	fail := m.failNext[typ] > 0
	if fail {
		m.failNext[typ]--
	}
	m.mu.Unlock()
	if fail {
		http.Error(w, "temporarily down", http.StatusInternalServerError)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	m.handler.ServeHTTP(w, r)
}

func (m *merchantEndpoint) handledTypes(id string) []tokenim.EventType {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]tokenim.EventType(nil), m.handled[id]...)
}

// lastReceived returns the newest request carrying an event of type typ.
func (m *merchantEndpoint) lastReceived(t *testing.T, typ tokenim.EventType) (*http.Request, []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := len(m.received) - 1; i >= 0; i-- {
		body, err := io.ReadAll(m.received[i].Body)
		require.NoError(t, err)
		m.received[i].Body = io.NopCloser(bytes.NewReader(body))
		if eventTypeOf(body) == string(typ) {
			return m.received[i], body
		}
	}
	t.Fatalf("no delivery of %s received", typ)
	return nil, nil
}

func eventTypeOf(body []byte) string {
	const k = `"type":"`
	s := string(body)
	i := strings.Index(s, k)
	if i < 0 {
		return ""
	}
	s = s[i+len(k):]
	return s[:strings.IndexByte(s, '"')]
}

func eventID(t *testing.T, client *tokenim.Client, typ tokenim.EventType) string {
	for e, err := range client.Events.All(context.Background(), &tokenim.EventListParams{Type: typ}) {
		require.NoError(t, err)
		return e.ID
	}
	t.Fatalf("no %s event", typ)
	return ""
}

// TestWebhooks_endToEnd follows events from the sandbox through signed
// delivery and the SDK's handler to the merchant's function: a failed
// delivery is retried on the sandbox clock, a resent delivery is suppressed,
// and after a secret rotation both the old and the new secret verify.
func TestWebhooks_endToEnd(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client, srv := tokenimtest.Start(t, sandbox.WithFrozenClock(time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)))
	merchant := newMerchantEndpoint(t)

	ep, err := client.WebhookEndpoints.Create(ctx, &tokenim.WebhookEndpointCreateParams{
		URL: merchant.srv.URL, Events: []tokenim.EventType{"*"},
	})
	require.NoError(t, err)
	merchant.setSecrets(t, ep.Secret.Reveal())

	// The merchant's endpoint is down for the first delivery of payment.succeeded.
	merchant.mu.Lock()
	merchant.failNext[tokenim.EventPaymentSucceeded] = 1
	merchant.mu.Unlock()

	order, err := client.Orders.Create(ctx, &tokenim.OrderCreateParams{MerchantOrderID: "wh-1", Amount: 1999, Currency: "CNY"})
	require.NoError(t, err)
	pay, err := client.Payments.Create(ctx, &tokenim.PaymentCreateParams{
		OrderID: order.ID, Method: tokenim.Card("4242424242424242", 12, 2030, "123"),
	})
	require.NoError(t, err)
	require.NoError(t, srv.FlushDeliveries(ctx))

	paidID, succeededID := eventID(t, client, tokenim.EventOrderPaid), eventID(t, client, tokenim.EventPaymentSucceeded)
	assert.Equal(t, []tokenim.EventType{tokenim.EventOrderPaid}, merchant.handledTypes(paidID))
	assert.Empty(t, merchant.handledTypes(succeededID), "the first delivery failed before the handler")

	// The sandbox retries 5 s (sandbox time) later.
	srv.Advance(5 * time.Second)
	require.NoError(t, srv.FlushDeliveries(ctx))
	assert.Equal(t, []tokenim.EventType{tokenim.EventPaymentSucceeded}, merchant.handledTypes(succeededID))
	var attempts []sandbox.Delivery
	for _, d := range srv.Deliveries() {
		if d.EventID == succeededID {
			attempts = append(attempts, d)
		}
	}
	require.Len(t, attempts, 2)
	assert.Equal(t, http.StatusInternalServerError, attempts[0].StatusCode)
	assert.False(t, attempts[0].Succeeded)
	assert.True(t, attempts[1].Succeeded)
	assert.Equal(t, 5*time.Second, attempts[1].At.Sub(attempts[0].At))

	// The typed view of the delivered snapshot is the payment.
	req, body := merchant.lastReceived(t, tokenim.EventPaymentSucceeded)
	ev, err := tokenim.ConstructEvent(body, req.Header, ep.Secret.Reveal())
	require.NoError(t, err)
	snap, err := ev.Payment()
	require.NoError(t, err)
	assert.Equal(t, pay.ID, snap.ID)
	assert.Equal(t, tokenim.PaymentStatusSucceeded, snap.Status)

	// The platform delivers at least once: the same delivery again is
	// answered 2xx and the merchant's function does not run twice.
	dup := httptest.NewRecorder()
	req, body = merchant.lastReceived(t, tokenim.EventOrderPaid)
	req.Body = io.NopCloser(bytes.NewReader(body))
	merchant.handler.ServeHTTP(dup, req)
	assert.Equal(t, http.StatusOK, dup.Code)
	assert.Len(t, merchant.handledTypes(paidID), 1)

	// Rotation: until the old secret expires, deliveries carry both
	// signatures, so a handler that knows either secret accepts them.
	rotated, err := client.WebhookEndpoints.RotateSecret(ctx, ep.ID, &tokenim.WebhookEndpointRotateParams{ExpireOldAfter: time.Hour})
	require.NoError(t, err)
	require.NotEqual(t, ep.Secret.Reveal(), rotated.Secret.Reveal())
	_, err = client.Refunds.Create(ctx, &tokenim.RefundCreateParams{PaymentID: pay.ID, Amount: 500})
	require.NoError(t, err)
	srv.Advance(5 * time.Minute)
	require.NoError(t, srv.FlushDeliveries(ctx))
	req, body = merchant.lastReceived(t, tokenim.EventRefundSucceeded)
	assert.Len(t, strings.Fields(req.Header.Get("webhook-signature")), 2)
	for _, secret := range []string{ep.Secret.Reveal(), rotated.Secret.Reveal()} {
		_, err := tokenim.ConstructEvent(body, req.Header, secret)
		assert.NoError(t, err)
	}
	_, err = tokenim.ConstructEvent(body, req.Header, "whsec_"+strings.Repeat("QUFB", 8))
	assert.ErrorIs(t, err, tokenim.ErrWebhookNoMatchingSignature, "a stranger's secret does not verify")

	// After the old secret expires, only the new one signs.
	srv.Advance(time.Hour)
	_, err = client.Refunds.Create(ctx, &tokenim.RefundCreateParams{PaymentID: pay.ID, Amount: 500})
	require.NoError(t, err)
	srv.Advance(5 * time.Minute)
	require.NoError(t, srv.FlushDeliveries(ctx))
	req, body = merchant.lastReceived(t, tokenim.EventRefundSucceeded)
	assert.Len(t, strings.Fields(req.Header.Get("webhook-signature")), 1)
	_, err = tokenim.ConstructEvent(body, req.Header, ep.Secret.Reveal())
	assert.ErrorIs(t, err, tokenim.ErrWebhookNoMatchingSignature)
	_, err = tokenim.ConstructEvent(body, req.Header, rotated.Secret.Reveal())
	assert.NoError(t, err)
}
