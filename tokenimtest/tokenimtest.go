// Package tokenimtest gives tests a ready-made tokenim.Client wired to an
// in-process sandbox, so a merchant's test needs no network, no keys and no
// setup:
//
//	func TestCheckout(t *testing.T) {
//		client, srv := tokenimtest.Start(t)
//		// use client as in production; drive srv's clock with srv.Advance
//	}
//
// To receive the sandbox's webhooks as a merchant's server would, verified:
//
//	events := tokenimtest.NewWebhookReceiver(t, srv)
//	// … pay an order with client …
//	paid := events.Wait(t, tokenim.EventOrderPaid)
//
// NewSignedWebhookRequest signs a delivery for a handler under test.
//
// It lives in its own package so that package tokenim does not depend on the
// sandbox: only tests that import tokenimtest link it.
package tokenimtest

import (
	"testing"
	"time"

	"github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/sandbox"
)

// Retry waits of the clients this package builds. The sandbox answers in
// microseconds, so production waits (0.5 s…8 s) would only slow tests; the
// cap also bounds any Retry-After the sandbox sends (maintenance asks for
// 30 s) and the poll interval of Payments.Wait.
const (
	RetryWaitMin = time.Millisecond
	RetryWaitMax = 20 * time.Millisecond
)

// AttemptTimeout bounds each attempt of the clients this package builds, so a
// test that points a client at a stalled server fails in seconds instead of
// after the production default of 80 s.
const AttemptTimeout = 10 * time.Second

// Start starts an in-process sandbox (closed by tb.Cleanup) and returns a
// client configured for it: base URL, test key, merchant id, fast retry waits
// suitable for tests.
func Start(tb testing.TB, opts ...sandbox.Option) (*tokenim.Client, *sandbox.Server) {
	tb.Helper()
	srv := sandbox.Start(tb, opts...)
	return NewClient(tb, srv), srv
}

// NewClient returns a client for srv (its default merchant), with extra
// client options applied after the defaults, so they override them; a
// tokenim.WithAPIKeyFunc among them replaces the merchant's key.
func NewClient(tb testing.TB, srv *sandbox.Server, opts ...tokenim.Option) *tokenim.Client {
	tb.Helper()
	if srv == nil {
		tb.Fatal("tokenimtest: sandbox server is nil")
		return nil
	}
	return ClientFor(tb, srv, srv.DefaultMerchant(), opts...)
}

// ClientFor returns a client for another merchant of srv (from
// srv.AddMerchant()), with extra client options applied after the defaults
// (a tokenim.WithAPIKeyFunc among them replaces the merchant's key). A client that cannot be built fails the test.
func ClientFor(tb testing.TB, srv *sandbox.Server, m sandbox.Merchant, opts ...tokenim.Option) *tokenim.Client {
	tb.Helper()
	if srv == nil {
		tb.Fatal("tokenimtest: sandbox server is nil")
		return nil
	}
	base := []tokenim.Option{
		tokenim.WithBaseURL(srv.URL),
		tokenim.WithMerchantID(m.ID),
		// The server's own client: its idle connections are closed with the
		// server, so no test leaks them.
		tokenim.WithHTTPClient(srv.Client()),
		tokenim.WithRetryWait(RetryWaitMin, RetryWaitMax),
		tokenim.WithTimeout(AttemptTimeout),
		tokenim.WithAppInfo("tokenimtest", tokenim.Version, ""),
	}
	opts = append(base, opts...)
	// An extra WithAPIKeyFunc overrides the merchant's key like any other
	// default: NewClient takes no key beside a key source, so ask first
	// whether the options make a client without one.
	if client, err := tokenim.NewClient("", opts...); err == nil {
		return client
	}
	client, err := tokenim.NewClient(m.APIKey(), opts...)
	if err != nil {
		tb.Fatalf("tokenimtest: client for merchant %s: %v", m.ID, err)
		return nil
	}
	return client
}
