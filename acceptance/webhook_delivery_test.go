package acceptance

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// deliveryWait bounds how long a test waits for a webhook that must come;
// it is a failure guard, not a timing assertion.
const deliveryWait = 15 * time.Second

// delivery is one webhook request as the receiver saw it.
type delivery struct {
	method string
	header http.Header
	body   []byte
}

// receiver is a merchant's webhook endpoint: it records every delivery and
// answers with failFirst failures before it starts accepting.
type receiver struct {
	url       string
	got       chan delivery
	failFirst int32
	seen      atomic.Int32
}

func newReceiver(t *testing.T, failFirst int32) *receiver {
	t.Helper()
	rc := &receiver{got: make(chan delivery, 256), failFirst: failFirst}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.got <- delivery{method: r.Method, header: r.Header.Clone(), body: body}
		if rc.seen.Add(1) <= rc.failFirst {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	rc.url = srv.URL + "/hooks/tokenim"
	return rc
}

// next waits for the next delivery.
func (rc *receiver) next(t *testing.T) delivery {
	t.Helper()
	select {
	case d := <-rc.got:
		return d
	case <-time.After(deliveryWait):
		require.FailNow(t, "no webhook delivery arrived")
		return delivery{}
	}
}

// signatureKey is the HMAC key of a whsec_ secret.
func signatureKey(t *testing.T, secret string) []byte {
	t.Helper()
	k, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	require.NoError(t, err)
	return k
}

// signedBy reports whether one of the v1 signatures in d was made with secret.
func signedBy(t *testing.T, d delivery, secret string) bool {
	t.Helper()
	mac := hmac.New(sha256.New, signatureKey(t, secret))
	mac.Write([]byte(d.header.Get("webhook-id") + "." + d.header.Get("webhook-timestamp") + "."))
	mac.Write(d.body)
	want := mac.Sum(nil)
	for _, sig := range strings.Fields(d.header.Get("webhook-signature")) {
		v, b64, ok := strings.Cut(sig, ",")
		if !ok || v != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			return true
		}
	}
	return false
}

// assertDelivery checks the shape of a delivery and returns its event.
func (e *env) assertDelivery(d delivery, secret string) map[string]any {
	e.t.Helper()
	t := e.t
	assert.Equal(t, http.MethodPost, d.method)
	assert.True(t, strings.HasPrefix(d.header.Get("Content-Type"), "application/json"))
	var ev map[string]any
	dec := json.NewDecoder(bytes.NewReader(d.body))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&ev), "delivery body is the event JSON")
	assert.Equal(t, str(ev, "id"), d.header.Get("webhook-id"), "webhook-id is the event id")
	ts, err := strconv.ParseInt(d.header.Get("webhook-timestamp"), 10, 64)
	if assert.NoError(t, err, "webhook-timestamp is unix seconds") {
		skew := time.Since(time.Unix(ts, 0))
		assert.Less(t, skew.Abs(), 5*time.Minute, "webhook-timestamp is the wall clock of the attempt")
	}
	assert.True(t, signedBy(t, d, secret), "signed with the endpoint secret: %q", d.header.Get("webhook-signature"))
	stored := e.ok(e.get("/v1/events/" + str(ev, "id")))
	assert.Equal(t, stored, ev, "the delivery carries the event as the API shows it")
	return ev
}

func TestWebhookDelivery_signedEvents(t *testing.T) {
	e := start(t)
	all := newReceiver(t, 0)
	cancels := newReceiver(t, 0)
	weAll := e.ok(e.post("/v1/webhook_endpoints", map[string]any{"url": all.url, "events": []string{"*"}}))
	weCancel := e.ok(e.post("/v1/webhook_endpoints", map[string]any{"url": cancels.url, "events": []string{"order.canceled"}}))

	o, p := e.paidOrder(1000)
	c := e.order(500)
	e.ok(e.post("/v1/orders/"+str(c, "id")+"/cancel", nil))

	want := map[string]string{"payment.succeeded": str(p, "id"), "order.paid": str(o, "id"), "order.canceled": str(c, "id")}
	got := map[string]string{}
	for range want {
		ev := e.assertDelivery(all.next(t), str(weAll, "secret"))
		got[str(ev, "type")] = str(ev, "data.object.id")
	}
	assert.Equal(t, want, got, "every event reaches a * endpoint (in any order)")

	d := cancels.next(t)
	ev := e.assertDelivery(d, str(weCancel, "secret"))
	assert.Equal(t, "order.canceled", str(ev, "type"))
	assert.Equal(t, str(c, "id"), str(ev, "data.object.id"))
	assert.False(t, signedBy(t, d, str(weAll, "secret")), "each endpoint signs with its own secret")
	select {
	case d := <-cancels.got:
		assert.Failf(t, "unsubscribed event delivered", "%s", d.body)
	default:
	}
}

func TestWebhookDelivery_retriesOnSandboxTime(t *testing.T) {
	e := start(t)
	e.freeze()
	rc := newReceiver(t, 2)
	we := e.ok(e.post("/v1/webhook_endpoints", map[string]any{"url": rc.url, "events": []string{"order.canceled"}}))
	secret := str(we, "secret")
	// Move the sandbox clock far from the wall clock: timestamps must not follow it.
	e.advance(10 * 24 * time.Hour)
	o := e.order(1000)
	e.ok(e.post("/v1/orders/"+str(o, "id")+"/cancel", nil))

	first := rc.next(t)
	ev := e.assertDelivery(first, secret)
	e.advance(5 * time.Second)
	second := rc.next(t)
	e.assertDelivery(second, secret)
	assert.Equal(t, first.header.Get("webhook-id"), second.header.Get("webhook-id"), "a retry is the same message")
	assert.Equal(t, string(first.body), string(second.body))

	e.advance(5 * time.Minute)
	third := rc.next(t)
	e.assertDelivery(third, secret)
	assert.Equal(t, str(ev, "id"), third.header.Get("webhook-id"))
}

func TestWebhookDelivery_rotationSignsWithBoth(t *testing.T) {
	e := start(t)
	e.freeze()
	rc := newReceiver(t, 0)
	we := e.ok(e.post("/v1/webhook_endpoints", map[string]any{"url": rc.url, "events": []string{"order.canceled"}}))
	oldSecret := str(we, "secret")
	rot := e.ok(e.post("/v1/webhook_endpoints/"+str(we, "id")+"/rotate_secret", map[string]any{"expire_old_after_seconds": 3600}))
	newSecret := str(rot, "secret")

	cancel := func() delivery {
		o := e.order(1000)
		e.ok(e.post("/v1/orders/"+str(o, "id")+"/cancel", nil))
		return rc.next(t)
	}
	d := cancel()
	e.assertDelivery(d, newSecret)
	assert.True(t, signedBy(t, d, oldSecret), "until the old secret expires it signs too")
	assert.Len(t, strings.Fields(d.header.Get("webhook-signature")), 2)

	e.advance(3601 * time.Second)
	d = cancel()
	e.assertDelivery(d, newSecret)
	assert.False(t, signedBy(t, d, oldSecret), "the old secret has expired")

	t.Run("immediate expiry", func(t *testing.T) {
		e := e.at(t)
		rot := e.ok(e.post("/v1/webhook_endpoints/"+str(we, "id")+"/rotate_secret", map[string]any{"expire_old_after_seconds": 0}))
		d := cancel()
		e.assertDelivery(d, str(rot, "secret"))
		assert.False(t, signedBy(t, d, newSecret))
	})
}

func TestWebhookDelivery_fullRetrySchedule(t *testing.T) {
	e := start(t)
	e.freeze()
	rc := newReceiver(t, 1000)
	we := e.ok(e.post("/v1/webhook_endpoints", map[string]any{"url": rc.url, "events": []string{"order.canceled"}}))
	o := e.order(1000)
	e.ok(e.post("/v1/orders/"+str(o, "id")+"/cancel", nil))
	first := rc.next(t)
	id := e.assertDelivery(first, str(we, "secret"))["id"]
	schedule := []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}
	for i, d := range schedule {
		e.advance(d)
		got := rc.next(t)
		assert.Equal(t, id, got.header.Get("webhook-id"), "attempt %d is the same message", i+2)
		assert.True(t, signedBy(t, got, str(we, "secret")))
	}
	assert.Equal(t, int32(1+len(schedule)), rc.seen.Load(), "eight attempts in all")
}
