package tokenimtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/sandbox"
)

// NewSignedWebhookRequest builds the POST request Tokenim would deliver to
// url for event, signed with secret and timestamped now, for testing a
// webhook handler (for example with httptest.NewRecorder). The webhook-id is
// the event's id. It returns an error rather than failing a test so that it
// can be called from any goroutine.
func NewSignedWebhookRequest(url, secret string, event *tokenim.Event) (*http.Request, error) {
	if event == nil {
		return nil, errors.New("tokenimtest: signed webhook request: event is nil")
	}
	body, err := json.Marshal(event)
	if err != nil {
		return nil, fmt.Errorf("tokenimtest: signed webhook request: %w", err)
	}
	now := time.Now()
	sig, err := tokenim.SignWebhook(secret, event.ID, now, body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("tokenimtest: signed webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(tokenim.WebhookIDHeader, event.ID)
	req.Header.Set(tokenim.WebhookTimestampHeader, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(tokenim.WebhookSignatureHeader, sig)
	return req, nil
}

// FlushTimeout bounds how long WebhookReceiver waits for the sandbox's
// delivery attempts in flight. An attempt ends within the sandbox's own
// delivery timeout (10 s), so this is reached only when something hangs.
const FlushTimeout = 30 * time.Second

// WebhookReceiver is a merchant's webhook endpoint for a test: an
// httptest.Server running a verifying tokenim.WebhookHandler, registered on
// a sandbox through the public API (WebhookEndpoints.Create, all event
// types). It keeps every verified event, each once however often it was
// delivered.
//
// How events reach it: a call that makes an event (paying, refunding,
// cancelling) starts the delivery before it returns, but the delivery
// itself runs concurrently; events made by the passing of time (expiries,
// settlements, retries of a failed delivery) are delivered while
// srv.Advance runs. Wait and Events first wait for every attempt in flight
// (sandbox FlushDeliveries), so a test never sleeps and never races: once
// the call or the Advance that makes an event has returned, Wait finds it.
type WebhookReceiver struct {
	// URL is the address the sandbox delivers to.
	URL string
	// Endpoint is the registered endpoint; its secret signs the deliveries.
	Endpoint *tokenim.WebhookEndpoint

	srv *sandbox.Server

	mu     sync.Mutex
	events []*tokenim.Event
	taken  []bool // events[i] was returned by Wait
}

// NewWebhookReceiver starts a WebhookReceiver for the default merchant of
// srv; it is closed by tb.Cleanup. opts configure its WebhookHandler (a
// logger, say); its verifier uses the endpoint's secret.
func NewWebhookReceiver(tb testing.TB, srv *sandbox.Server, opts ...tokenim.WebhookHandlerOption) *WebhookReceiver {
	tb.Helper()
	if srv == nil {
		tb.Fatal("tokenimtest: sandbox server is nil")
		return nil
	}
	return NewWebhookReceiverFor(tb, srv, srv.DefaultMerchant(), opts...)
}

// NewWebhookReceiverFor is NewWebhookReceiver for another merchant of srv.
func NewWebhookReceiverFor(tb testing.TB, srv *sandbox.Server, m sandbox.Merchant, opts ...tokenim.WebhookHandlerOption) *WebhookReceiver {
	tb.Helper()
	if srv == nil {
		tb.Fatal("tokenimtest: sandbox server is nil")
		return nil
	}
	r := &WebhookReceiver{srv: srv}
	// The endpoint's secret comes with the endpoint, which needs the
	// receiver's URL: the verifier asks for it on each delivery. Until it
	// is set nothing is subscribed, so nothing can arrive.
	var secrets tokenim.WebhookSecrets
	v, err := tokenim.NewWebhookVerifier(nil, tokenim.WithWebhookSecretsFunc(secrets.Get))
	if err != nil {
		tb.Fatalf("tokenimtest: webhook receiver: %v", err)
		return nil
	}
	h, err := tokenim.NewWebhookHandler(v, r.record, opts...)
	if err != nil {
		tb.Fatalf("tokenimtest: webhook receiver: %v", err)
		return nil
	}
	ts := httptest.NewServer(h)
	tb.Cleanup(ts.Close)
	r.URL = ts.URL

	ctx, cancel := context.WithTimeout(context.Background(), FlushTimeout)
	defer cancel()
	ep, err := ClientFor(tb, srv, m).WebhookEndpoints.Create(ctx, &tokenim.WebhookEndpointCreateParams{
		URL: ts.URL, Events: []tokenim.EventType{"*"}, Description: "tokenimtest.WebhookReceiver",
	})
	if err != nil {
		tb.Fatalf("tokenimtest: register webhook receiver: %v", err)
		return nil
	}
	r.Endpoint = ep
	secrets.Set(ep.Secret.Reveal())
	return r
}

func (r *WebhookReceiver) record(_ context.Context, e *tokenim.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	r.taken = append(r.taken, false)
	return nil
}

// flush waits for every delivery attempt in flight.
func (r *WebhookReceiver) flush(tb testing.TB) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), FlushTimeout)
	defer cancel()
	if err := r.srv.FlushDeliveries(ctx); err != nil {
		tb.Fatalf("tokenimtest: webhook deliveries still in flight after %s: %v", FlushTimeout, err)
	}
}

// Events returns every verified event received so far, in the order they
// arrived, after waiting for the deliveries in flight.
func (r *WebhookReceiver) Events(tb testing.TB) []*tokenim.Event {
	tb.Helper()
	r.flush(tb)
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*tokenim.Event(nil), r.events...)
}

// Wait returns the oldest verified event of type typ that Wait has not
// returned before, waiting first for the deliveries in flight. When there
// is none, it fails the test, listing what did arrive and the failed
// delivery attempts. It never advances the sandbox clock: call srv.Advance
// first for events that time makes.
func (r *WebhookReceiver) Wait(tb testing.TB, typ tokenim.EventType) *tokenim.Event {
	tb.Helper()
	r.flush(tb)
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, e := range r.events {
		if e.Type == typ && !r.taken[i] {
			r.taken[i] = true
			return e
		}
	}
	got := make([]string, 0, len(r.events))
	for _, e := range r.events {
		got = append(got, string(e.Type))
	}
	var failed []string
	for _, d := range r.srv.Deliveries() {
		if d.EndpointID == r.Endpoint.ID && !d.Succeeded {
			failed = append(failed, fmt.Sprintf("%s %s attempt %d: %s", d.EventType, d.EventID, d.Attempt, d.Err))
		}
	}
	tb.Fatalf("tokenimtest: no %s event delivered to the webhook receiver (received: [%s]; failed attempts: [%s])",
		typ, strings.Join(got, " "), strings.Join(failed, "; "))
	return nil
}
