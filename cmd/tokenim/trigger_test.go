package main

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	tokenim "github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/sandbox"
)

func TestTrigger_everyEventType(t *testing.T) {
	t.Parallel()
	cases := []struct {
		typ tokenim.EventType
		// calls the trigger must report, in order.
		calls []string
		// state the object ends in, as printed.
		final string
	}{
		{tokenim.EventOrderPaid, []string{"POST /v1/orders", "POST /v1/payments"}, `pay_\w+ \(succeeded\)`},
		{tokenim.EventPaymentSucceeded, []string{"POST /v1/orders", "POST /v1/payments"}, `pay_\w+ \(succeeded\)`},
		{tokenim.EventPaymentFailed, []string{"POST /v1/orders", "POST /v1/payments"}, `pay_\w+ \(failed, 402 card_declined generic_decline\)`},
		{tokenim.EventPaymentRequiresAction, []string{"POST /v1/orders", "POST /v1/payments"}, `pay_\w+ \(requires_action\)`},
		{tokenim.EventPaymentCanceled, []string{"POST /v1/orders", "POST /v1/payments", "POST /v1/payments/pay_"}, `pay_\w+ \(canceled\)`},
		{tokenim.EventOrderCanceled, []string{"POST /v1/orders", "POST /v1/orders/ord_"}, `ord_\w+ \(canceled\)`},
		{tokenim.EventOrderExpired, []string{"POST /v1/orders", "POST /_sandbox/clock/advance 120s", "GET /v1/orders/ord_"}, `ord_\w+ \(expired\)`},
		{tokenim.EventRefundSucceeded, []string{"POST /v1/orders", "POST /v1/payments", "POST /v1/refunds", "POST /_sandbox/clock/advance 300s", "GET /v1/refunds/re_"}, `re_\w+ \(succeeded\)`},
		{tokenim.EventOrderRefunded, []string{"POST /v1/orders", "POST /v1/payments", "POST /v1/refunds", "POST /_sandbox/clock/advance 300s", "GET /v1/orders/ord_"}, `ord_\w+ \(refunded\)`},
		{tokenim.EventRefundFailed, []string{"POST /v1/orders", "POST /v1/payments", "POST /v1/refunds", "POST /_sandbox/clock/advance 300s", "GET /v1/refunds/re_"}, `re_\w+ \(failed\)`},
		{tokenim.EventDisputeCreated, []string{"POST /v1/orders", "POST /v1/payments", "POST /_sandbox/clock/advance 3600s", "GET /v1/disputes?payment_id=pay_"}, `dp_\w+ \(needs_response, due \S+\)`},
		{tokenim.EventDisputeUpdated, []string{"POST /v1/orders", "POST /v1/payments", "POST /_sandbox/clock/advance 3600s", "POST /v1/disputes/dp_"}, `dp_\w+ \(needs_response\)`},
		{tokenim.EventDisputeEvidenceDueSoon, []string{"POST /v1/orders", "POST /v1/payments", "POST /_sandbox/clock/advance 3600s", "POST /_sandbox/clock/advance 432000s", "GET /v1/disputes/dp_"}, `dp_\w+ \(needs_response\)`},
		{tokenim.EventDisputeClosed, []string{"POST /v1/orders", "POST /v1/payments", "POST /_sandbox/clock/advance 3600s", "POST /v1/disputes/dp_"}, `dp_\w+ \(lost\)`},
		{tokenim.EventSettlementPaid, []string{"POST /v1/orders", "POST /v1/payments", "POST /_sandbox/clock/advance", "GET /v1/settlements?limit=1"}, `st_\w+ \(paid, 19\.\d\d CNY\)`},
	}
	require.Len(t, cases, len(scenarios), "every scenario is tested")
	assert.Equal(t, eventTypeNames(), triggerTypes(), "every event type can be triggered")
	for _, tc := range cases {
		t.Run(string(tc.typ), func(t *testing.T) {
			t.Parallel()
			srv := sandbox.Start(t)
			r := against(t, srv, "trigger", string(tc.typ))
			require.Equal(t, exitOK, r.code, r.stderr)

			pos := 0
			for _, call := range tc.calls {
				loc := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(call)).FindStringIndex(r.stdout[pos:])
				require.NotNil(t, loc, "call %q after offset %d in\n%s", call, pos, r.stdout)
				pos += loc[1]
			}
			assert.Regexp(t, `-> `+tc.final+`\n`, r.stdout)

			// The event is really there, and the printed event id is it.
			c := sdkClient(t, srv)
			l, err := c.Events.List(t.Context(), &tokenim.EventListParams{Type: tc.typ})
			require.NoError(t, err)
			require.NotEmpty(t, l.Data, "no %s event in /v1/events", tc.typ)
			assert.Regexp(t, `(?m)^event +`+l.Data[0].ID+` +`+regexp.QuoteMeta(string(tc.typ))+`$`, r.stdout)
		})
	}
}

func TestTrigger_printsOnlyNewEvents(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t)
	r := against(t, srv, "trigger", "order.canceled")
	require.Equal(t, exitOK, r.code, r.stderr)
	r = against(t, srv, "trigger", "payment.failed")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^event +evt_\w+ +payment.failed$`, r.stdout)
	assert.NotContains(t, r.stdout, "order.canceled", "the first trigger's event is not this one's")
	assert.Equal(t, []string{"payment.failed", "order.canceled"}, eventTypes(t, sdkClient(t, srv)))
}

func TestTrigger_errors(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t)

	r := against(t, srv, "trigger", "payment.exploded")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, `unknown event type "payment.exploded"; valid types: `+strings.Join(triggerTypes(), ", "))
	assert.Contains(t, r.stderr, "order.canceled, order.expired, order.paid, order.refunded, payment.canceled,")

	r = against(t, srv, "trigger")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "trigger takes one event type")

	r = invocation{env: map[string]string{envAPIKey: "sk_live_abcdef123", envMerchantID: "mch_1", envBaseURL: "https://example.test"}}.run(t, "trigger", "order.paid")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "trigger only drives a sandbox: use a sk_test_ key")

	// A server that is not a sandbox is named as such before any call.
	notSandbox := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notSandbox.Close)
	env := sandboxEnv(srv)
	env[envBaseURL] = notSandbox.URL
	r = invocation{env: env}.run(t, "trigger", "order.paid")
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "GET /_sandbox/clock: HTTP 404 (is "+notSandbox.URL+" a tokenim sandbox?)")
	assert.Empty(t, r.stdout)
	assert.NotContains(t, r.stderr, srv.APIKey())
	assert.Empty(t, eventTypes(t, sdkClient(t, srv)))
}

func TestTrigger_expiredAfterClockMoved(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t)
	// The expiry is set from the sandbox clock, not the wall clock.
	srv.Advance(72 * time.Hour)
	r := against(t, srv, "trigger", "order.expired")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, eventTypes(t, sdkClient(t, srv)), "order.expired")
}

func TestTrigger_apiErrorExits1WithoutKey(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t)
	require.NoError(t, srv.RestrictMerchant(srv.MerchantID, true))
	r := against(t, srv, "trigger", "order.paid")
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "POST /v1/orders: 403 account_restricted")
	assert.NotContains(t, r.stderr, srv.APIKey())
	assert.NotContains(t, r.stdout, srv.APIKey())
}

func TestTrigger_suggestsNearestEventType(t *testing.T) {
	t.Parallel()
	r := cli(t, "trigger", "payment.sucess")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, `unknown event type "payment.sucess"; did you mean "payment.succeeded"?`)
	assert.Empty(t, r.stdout)
	r = cli(t, "trigger", "invoice.created")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, `unknown event type "invoice.created"; valid types: dispute.closed,`)
	r = cli(t, "listen", "--forward-to", "http://x.test", "--events", "refund.fail")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, `--events: unknown event type "refund.fail"; did you mean "refund.failed"?`)
}
