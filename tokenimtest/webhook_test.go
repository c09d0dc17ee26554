package tokenimtest_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/sandbox"
	"github.com/tokenim/tokenim-go/tokenimtest"
)

func pay(t *testing.T, c *tokenim.Client, orderID, card string) *tokenim.Payment {
	t.Helper()
	p, err := c.Payments.Create(context.Background(), &tokenim.PaymentCreateParams{
		OrderID: orderID, Method: tokenim.Card(card, 12, time.Now().Year()+2, "123"),
	})
	require.NoError(t, err)
	return p
}

func TestWebhookReceiver_receivesVerifiedEventsOfACall(t *testing.T) {
	t.Parallel()
	client, srv := tokenimtest.Start(t)
	events := tokenimtest.NewWebhookReceiver(t, srv)
	require.NotNil(t, events.Endpoint)
	assert.Equal(t, events.URL, events.Endpoint.URL)

	order := createOrder(t, client, "W-1", 1999)
	p := pay(t, client, order.ID, "4242424242424242")

	// No sleep: the payment call has started the deliveries; Wait waits for them.
	ev := events.Wait(t, tokenim.EventPaymentSucceeded)
	got, err := ev.Payment()
	require.NoError(t, err)
	assert.Equal(t, p.ID, got.ID)
	assert.Equal(t, int64(1999), got.Amount)
	paid, err := events.Wait(t, tokenim.EventOrderPaid).Order()
	require.NoError(t, err)
	assert.Equal(t, order.ID, paid.ID)

	var types []tokenim.EventType
	for _, e := range events.Events(t) {
		types = append(types, e.Type)
	}
	assert.ElementsMatch(t, []tokenim.EventType{tokenim.EventPaymentSucceeded, tokenim.EventOrderPaid}, types)
	for _, d := range srv.Deliveries() {
		assert.True(t, d.Succeeded, "delivery of %s answered %d: the receiver verified it", d.EventType, d.StatusCode)
	}
}

func TestWebhookReceiver_waitReturnsEachEventOnce(t *testing.T) {
	t.Parallel()
	client, srv := tokenimtest.Start(t)
	events := tokenimtest.NewWebhookReceiver(t, srv)
	first := createOrder(t, client, "W-2", 100)
	second := createOrder(t, client, "W-3", 200)
	pay(t, client, first.ID, "4242424242424242")
	pay(t, client, second.ID, "4242424242424242")

	var ids []string
	for range 2 {
		o, err := events.Wait(t, tokenim.EventOrderPaid).Order()
		require.NoError(t, err)
		ids = append(ids, o.ID)
	}
	assert.ElementsMatch(t, []string{first.ID, second.ID}, ids)

	fake := &fatalTB{TB: t}
	fake.run(func() { events.Wait(fake, tokenim.EventOrderPaid) })
	assert.Contains(t, fake.msg, "no order.paid event delivered")
	assert.Contains(t, fake.msg, "received: [")
}

func TestWebhookReceiver_eventsMadeByTheClock(t *testing.T) {
	t.Parallel()
	client, srv := tokenimtest.Start(t, sandbox.WithFrozenClock(t0))
	events := tokenimtest.NewWebhookReceiver(t, srv)
	order := createOrder(t, client, "W-4", 500)

	// Before the clock moves nothing has happened: Wait fails, it does not hang.
	fake := &fatalTB{TB: t}
	fake.run(func() { events.Wait(fake, tokenim.EventOrderExpired) })
	assert.Contains(t, fake.msg, "no order.expired event delivered")

	srv.Advance(30 * time.Minute)
	expired, err := events.Wait(t, tokenim.EventOrderExpired).Order()
	require.NoError(t, err)
	assert.Equal(t, order.ID, expired.ID)
}

func TestWebhookReceiver_perMerchant(t *testing.T) {
	t.Parallel()
	_, srv := tokenimtest.Start(t)
	bobM := srv.AddMerchant()
	bob := tokenimtest.ClientFor(t, srv, bobM)
	aliceEvents := tokenimtest.NewWebhookReceiver(t, srv)
	bobEvents := tokenimtest.NewWebhookReceiverFor(t, srv, bobM)

	pay(t, bob, createOrder(t, bob, "B-1", 700).ID, "4242424242424242")
	o, err := bobEvents.Wait(t, tokenim.EventOrderPaid).Order()
	require.NoError(t, err)
	assert.Equal(t, int64(700), o.Amount)
	assert.Empty(t, aliceEvents.Events(t), "alice receives none of bob's events")
}

func TestWebhookReceiver_rejectsForgedDeliveries(t *testing.T) {
	t.Parallel()
	_, srv := tokenimtest.Start(t)
	events := tokenimtest.NewWebhookReceiver(t, srv)
	req, err := tokenimtest.NewSignedWebhookRequest(events.URL, tokenim.NewWebhookSecret(), &tokenim.Event{
		ID: "evt_forged", Object: "event", Type: tokenim.EventOrderPaid,
	})
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Empty(t, events.Events(t))
}

func TestNewSignedWebhookRequest(t *testing.T) {
	t.Parallel()
	secret := tokenim.NewWebhookSecret()
	created := time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)
	event := &tokenim.Event{ID: "evt_777", Object: "event", Type: tokenim.EventRefundSucceeded, CreatedAt: created, APIVersion: "2026-11-01"}
	before := time.Now().Unix()
	req, err := tokenimtest.NewSignedWebhookRequest("https://merchant.example/webhooks", secret, event)
	require.NoError(t, err)
	after := time.Now().Unix()

	assert.Equal(t, http.MethodPost, req.Method)
	assert.Equal(t, "https://merchant.example/webhooks", req.URL.String())
	assert.Equal(t, "application/json", req.Header.Get("Content-Type"))
	assert.Equal(t, "evt_777", req.Header.Get(tokenim.WebhookIDHeader))
	ts, err := strconv.ParseInt(req.Header.Get(tokenim.WebhookTimestampHeader), 10, 64)
	require.NoError(t, err)
	assert.True(t, ts >= before && ts <= after, "timestamp %d not in [%d, %d]", ts, before, after)

	body := new(bytes.Buffer)
	_, err = body.ReadFrom(req.Body)
	require.NoError(t, err)
	// An HMAC made here, with none of the code under test.
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	require.NoError(t, err)
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "evt_777.%d.%s", ts, body.Bytes())
	assert.Equal(t, "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)), req.Header.Get(tokenim.WebhookSignatureHeader))

	got, err := tokenim.ConstructEvent(body.Bytes(), req.Header, secret)
	require.NoError(t, err)
	assert.Equal(t, event.Type, got.Type)
	assert.True(t, got.CreatedAt.Equal(created))

	// A handler accepts it.
	v, err := tokenim.NewWebhookVerifier([]string{secret})
	require.NoError(t, err)
	h, err := tokenim.NewWebhookHandler(v, func(context.Context, *tokenim.Event) error { return nil })
	require.NoError(t, err)
	req, err = tokenimtest.NewSignedWebhookRequest("https://merchant.example/webhooks", secret, event)
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusOK, rec.Code)
}

func TestNewSignedWebhookRequest_rejectsBadInput(t *testing.T) {
	t.Parallel()
	secret := tokenim.NewWebhookSecret()
	_, err := tokenimtest.NewSignedWebhookRequest("https://m.example/", secret, nil)
	assert.ErrorContains(t, err, "nil")
	_, err = tokenimtest.NewSignedWebhookRequest("https://m.example/", secret, &tokenim.Event{Type: tokenim.EventOrderPaid})
	assert.ErrorContains(t, err, "id")
	_, err = tokenimtest.NewSignedWebhookRequest("https://m.example/", "whsec_short", &tokenim.Event{ID: "evt_1", Type: tokenim.EventOrderPaid})
	assert.ErrorIs(t, err, tokenim.ErrWebhookBadSecret)
	_, err = tokenimtest.NewSignedWebhookRequest("://bad url", secret, &tokenim.Event{ID: "evt_1", Type: tokenim.EventOrderPaid})
	assert.Error(t, err)
}

// fatalTB records the first Fatal of a helper under test and stops its
// goroutine, as testing.T does, without failing the real test.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (f *fatalTB) Fatal(args ...any) { f.Fatalf("%s", fmt.Sprint(args...)) }

// run calls fn in a goroutine of its own, so that Fatal's Goexit ends only
// that goroutine.
func (f *fatalTB) run(fn func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	<-done
}
