package sandbox

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// receiver is a webhook endpoint that records what it gets.
type receiver struct {
	*httptest.Server
	status atomic.Int32
	mu     sync.Mutex
	got    []received
}

type received struct {
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T, status int) *receiver {
	t.Helper()
	rc := &receiver{}
	rc.status.Store(int32(status))
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, received{header: r.Header.Clone(), body: b})
		rc.mu.Unlock()
		w.WriteHeader(int(rc.status.Load()))
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) all() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// expectedSignature computes a Standard Webhooks signature independently.
func expectedSignature(t *testing.T, secret, id, ts string, body []byte) string {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	require.NoError(t, err)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "." + string(body)))
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func flush(t *testing.T, srv *Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, srv.FlushDeliveries(ctx))
}

func TestDelivery_signsWithStandardWebhooksHeaders(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, 200)
	srv := Start(t, WithFrozenClock(t0), WithWebhookEndpoint(rc.URL))
	orderID := newOrder(t, srv, 1999)
	before := time.Now().Unix()
	require.Equal(t, 200, api(t, srv, "POST", "/v1/payments", cardPayment(orderID, "4242424242424242")).status)
	flush(t, srv)

	got := rc.all()
	require.Len(t, got, 2, "payment.succeeded and order.paid")
	events := srv.Events(srv.MerchantID)
	for _, g := range got {
		id := g.header.Get("webhook-id")
		ts := g.header.Get("webhook-timestamp")
		assert.True(t, strings.HasPrefix(id, "evt_"))
		sec, err := strconv.ParseInt(ts, 10, 64)
		require.NoError(t, err)
		assert.GreaterOrEqual(t, sec, before, "the timestamp is real wall-clock time, not the frozen sandbox clock")
		assert.Equal(t, expectedSignature(t, srv.WebhookSecret(), id, ts, g.body), g.header.Get("webhook-signature"))
		assert.Contains(t, string(g.body), `"id":"`+id+`"`)
		found := false
		for _, e := range events {
			found = found || string(e) == string(g.body)
		}
		assert.True(t, found, "the body is the event exactly as listed")
	}
	for _, d := range srv.Deliveries() {
		assert.True(t, d.Succeeded)
		assert.Equal(t, 1, d.Attempt)
		assert.Equal(t, 200, d.StatusCode)
	}
}

func TestDelivery_retryScheduleDrivenByAdvance(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, 500)
	srv := Start(t, WithFrozenClock(t0))
	ep := api(t, srv, "POST", "/v1/webhook_endpoints", map[string]any{"url": rc.URL, "events": []string{"order.canceled"}})
	require.Equal(t, 200, ep.status, "%s", ep.raw)
	orderID := newOrder(t, srv, 500)
	require.Equal(t, 200, api(t, srv, "POST", "/v1/orders/"+orderID+"/cancel", nil).status)
	flush(t, srv)
	require.Len(t, srv.Deliveries(), 1)

	srv.Advance(4 * time.Second)
	assert.Len(t, srv.Deliveries(), 1, "nothing before the 5 s retry")
	srv.Advance(time.Second)
	require.Len(t, srv.Deliveries(), 2, "the 5 s retry ran before Advance returned")

	rc.status.Store(204) // the endpoint recovers
	srv.Advance(5 * time.Minute)
	ds := srv.Deliveries()
	require.Len(t, ds, 3)
	assert.True(t, ds[2].Succeeded)
	assert.Equal(t, 3, ds[2].Attempt)
	assert.Equal(t, t0.Add(5*time.Second+5*time.Minute), ds[2].At)

	srv.Advance(48 * time.Hour)
	assert.Len(t, srv.Deliveries(), 3, "a delivered event is not retried")
}

func TestDelivery_givesUpAfterTheLastRetry(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, 503)
	srv := Start(t, WithFrozenClock(t0))
	require.Equal(t, 200, api(t, srv, "POST", "/v1/webhook_endpoints", map[string]any{"url": rc.URL, "events": []string{"order.canceled"}}).status)
	orderID := newOrder(t, srv, 500)
	require.Equal(t, 200, api(t, srv, "POST", "/v1/orders/"+orderID+"/cancel", nil).status)
	flush(t, srv)

	srv.Advance(3 * 24 * time.Hour) // one Advance runs the whole schedule in order

	ds := srv.Deliveries()
	require.Len(t, ds, 8, "first attempt plus seven retries")
	offsets := []time.Duration{0, 5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}
	at := t0
	for i, d := range ds {
		at = at.Add(offsets[i])
		assert.Equal(t, i+1, d.Attempt)
		assert.Equal(t, at, d.At, "attempt %d", i+1)
		assert.False(t, d.Succeeded)
		assert.Equal(t, 503, d.StatusCode)
		assert.Equal(t, i == 7, d.Final)
	}
	assert.Len(t, rc.all(), 8)
}

func TestDelivery_rotationSignsWithBothSecretsUntilTheOldExpires(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, 200)
	srv := Start(t, WithFrozenClock(t0))
	ep := api(t, srv, "POST", "/v1/webhook_endpoints", map[string]any{"url": rc.URL, "events": []string{"*"}})
	require.Equal(t, 200, ep.status)
	oldSecret := ep.str("secret")
	require.True(t, strings.HasPrefix(oldSecret, "whsec_"))
	rot := api(t, srv, "POST", "/v1/webhook_endpoints/"+ep.str("id")+"/rotate_secret", map[string]any{"expire_old_after_seconds": 3600})
	require.Equal(t, 200, rot.status, "%s", rot.raw)
	newSecret := rot.str("secret")
	require.NotEqual(t, oldSecret, newSecret)
	listed := api(t, srv, "GET", "/v1/webhook_endpoints", nil)
	assert.NotContains(t, string(listed.raw), "whsec_", "the secret is only shown by create and rotate")

	cancelAndGet := func() received {
		n := len(rc.all())
		orderID := newOrder(t, srv, 500)
		require.Equal(t, 200, api(t, srv, "POST", "/v1/orders/"+orderID+"/cancel", nil).status)
		flush(t, srv)
		got := rc.all()
		require.Len(t, got, n+1)
		return got[n]
	}
	g := cancelAndGet()
	id, ts := g.header.Get("webhook-id"), g.header.Get("webhook-timestamp")
	sigs := strings.Split(g.header.Get("webhook-signature"), " ")
	assert.ElementsMatch(t, []string{
		expectedSignature(t, newSecret, id, ts, g.body),
		expectedSignature(t, oldSecret, id, ts, g.body),
	}, sigs)

	srv.Advance(time.Hour)
	g = cancelAndGet()
	assert.Equal(t, expectedSignature(t, newSecret, g.header.Get("webhook-id"), g.header.Get("webhook-timestamp"), g.body),
		g.header.Get("webhook-signature"), "only the new secret once the old one expired")
}

func TestDelivery_closeWaitsAndStopsRetries(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, 500)
	srv := NewServer(WithFrozenClock(t0), WithWebhookEndpoint(rc.URL))
	orderID := newOrder(t, srv, 500)
	require.Equal(t, 200, api(t, srv, "POST", "/v1/orders/"+orderID+"/cancel", nil).status)
	srv.Close()
	srv.Close() // idempotent
	n := len(srv.Deliveries())
	srv.Advance(time.Hour)
	assert.Len(t, srv.Deliveries(), n, "no attempt after Close")
}

// The deliveries log is capped like the request log.
func TestDelivery_logKeepsOnlyTheNewestAttempts(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, 503)
	srv := Start(t, WithFrozenClock(t0), withLogLimit(5))
	require.Equal(t, 200, api(t, srv, "POST", "/v1/webhook_endpoints", map[string]any{"url": rc.URL, "events": []string{"order.canceled"}}).status)
	orderID := newOrder(t, srv, 500)
	require.Equal(t, 200, api(t, srv, "POST", "/v1/orders/"+orderID+"/cancel", nil).status)
	flush(t, srv)
	srv.Advance(3 * 24 * time.Hour)

	require.Len(t, rc.all(), 8, "every attempt was made")
	ds := srv.Deliveries()
	require.Len(t, ds, 5, "the log keeps the newest five")
	for i, d := range ds {
		assert.Equal(t, i+4, d.Attempt, "oldest first")
	}
	for range 6 {
		api(t, srv, "GET", "/v1/orders", nil)
	}
	assert.Len(t, srv.Requests(), 5, "the request log has the same cap")
}

func TestControl_emptyDeliveriesAreAnEmptyList(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	r := api(t, srv, "GET", "/_sandbox/deliveries", nil)
	require.Equal(t, 200, r.status)
	assert.JSONEq(t, `{"object":"list","data":[]}`, string(r.raw))
	r = api(t, srv, "GET", "/_sandbox/requests", nil)
	assert.JSONEq(t, `{"object":"list","data":[]}`, string(r.raw))
}
