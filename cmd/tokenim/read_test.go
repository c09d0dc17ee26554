package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	tokenim "github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/sandbox"
)

// fieldLine matches an aligned "name  value" line of a get.
func fieldLine(name, value string) *regexp.Regexp {
	return regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` +` + regexp.QuoteMeta(value) + `$`)
}

func TestOrders_getAndList(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t)
	c := sdkClient(t, srv)
	o, p := paidOrder(t, c, "ref-get-1", 1999)

	r := against(t, srv, "orders", "get", o.ID)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, fieldLine("id", o.ID), r.stdout)
	assert.Regexp(t, fieldLine("merchant_order_id", "ref-get-1"), r.stdout)
	assert.Regexp(t, fieldLine("status", "paid"), r.stdout)
	assert.Regexp(t, fieldLine("amount", "19.99 CNY"), r.stdout)
	assert.Regexp(t, fieldLine("payment_id", p.ID), r.stdout)
	assert.Regexp(t, fieldLine("description", "-"), r.stdout, "an empty field reads as -")

	r = against(t, srv, "orders", "get", o.ID, "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
	assert.Equal(t, o.ID, got["id"])
	assert.Equal(t, "paid", got["status"])
	assert.EqualValues(t, 1999, got["amount"])
	assert.Contains(t, got, "description", "--json keeps the raw null fields")

	o2, err := c.Orders.Create(t.Context(), &tokenim.OrderCreateParams{MerchantOrderID: "ref-open-2", Amount: 500, Currency: "JPY"})
	require.NoError(t, err)
	r = against(t, srv, "orders", "list")
	require.Equal(t, exitOK, r.code, r.stderr)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	require.Len(t, lines, 3)
	assert.Regexp(t, `^ID +STATUS +AMOUNT +MERCHANT ORDER ID +CREATED$`, lines[0])
	assert.Regexp(t, `^`+o2.ID+` +open +500 JPY +ref-open-2 +\d{4}-`, lines[1], "newest first")
	assert.Regexp(t, `^`+o.ID+` +paid +19.99 CNY +ref-get-1 `, lines[2])
	// Columns line up: every row starts its second column where the header does.
	col := strings.Index(lines[0], "STATUS")
	for _, l := range lines[1:] {
		assert.Equal(t, byte(' '), l[col-1])
		assert.NotEqual(t, byte(' '), l[col])
	}

	r = against(t, srv, "orders", "list", "--status", "open")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, o2.ID)
	assert.NotContains(t, r.stdout, o.ID)

	r = against(t, srv, "orders", "list", "--limit", "1")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, o2.ID)
	assert.NotContains(t, r.stdout, o.ID)
	assert.Contains(t, r.stdout, "more: tokenim orders list --starting-after "+o2.ID)
	r = against(t, srv, "orders", "list", "--limit", "1", "--starting-after", o2.ID)
	assert.Contains(t, r.stdout, o.ID)

	r = against(t, srv, "orders", "list", "--merchant-order-id", "ref-get-1", "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	var page tokenim.List[tokenim.Order]
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &page))
	require.Len(t, page.Data, 1)
	assert.Equal(t, o.ID, page.Data[0].ID)
}

func TestPayments_getAndList(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t)
	c := sdkClient(t, srv)
	o, p := paidOrder(t, c, "ref-pay-1", 1000)
	other, _ := paidOrder(t, c, "ref-pay-2", 2000)

	r := against(t, srv, "payments", "get", p.ID)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, fieldLine("status", "succeeded"), r.stdout)
	assert.Regexp(t, fieldLine("method", "visa •••• 4242"), r.stdout)
	assert.Regexp(t, fieldLine("fee", "0.59 CNY"), r.stdout, "card fee 2.9% + 30 of 1000")
	assert.Regexp(t, fieldLine("net", "9.41 CNY"), r.stdout)
	assert.Regexp(t, fieldLine("order_id", o.ID), r.stdout)
	assert.NotContains(t, r.stdout, cardSucceeds)

	r = against(t, srv, "payments", "list", "--order-id", o.ID)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^`+p.ID+` +succeeded +10.00 CNY +visa •••• 4242 +`+o.ID, r.stdout)
	assert.NotContains(t, r.stdout, other.ID)

	r = against(t, srv, "payments", "list", "--status", "failed")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Equal(t, "no payments\n", r.stdout)

	r = against(t, srv, "payments", "get", p.ID, "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	var got tokenim.Payment
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
	assert.Equal(t, *p, got)
}

func TestRefunds_getAndList(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t)
	c := sdkClient(t, srv)
	_, p := paidOrder(t, c, "ref-refund-1", 1999)
	rf, err := c.Refunds.Create(t.Context(), &tokenim.RefundCreateParams{PaymentID: p.ID, Amount: 500, Reason: tokenim.RefundReasonDuplicate})
	require.NoError(t, err)

	r := against(t, srv, "refunds", "get", rf.ID)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, fieldLine("status", "pending"), r.stdout)
	assert.Regexp(t, fieldLine("amount", "5.00 CNY"), r.stdout)
	assert.Regexp(t, fieldLine("reason", "duplicate"), r.stdout)
	assert.Regexp(t, fieldLine("payment_id", p.ID), r.stdout)

	r = against(t, srv, "refunds", "list", "--payment-id", p.ID)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^`+rf.ID+` +pending +5.00 CNY +`+p.ID, r.stdout)

	r = against(t, srv, "refunds", "list", "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	var page tokenim.List[tokenim.Refund]
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &page))
	require.Len(t, page.Data, 1)
	assert.Equal(t, rf.ID, page.Data[0].ID)
}

func TestEvents_getAndList(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t)
	c := sdkClient(t, srv)
	_, p := paidOrder(t, c, "ref-evt-1", 1999)
	l, err := c.Events.List(t.Context(), &tokenim.EventListParams{Type: tokenim.EventPaymentSucceeded})
	require.NoError(t, err)
	require.Len(t, l.Data, 1)
	ev := l.Data[0]

	r := against(t, srv, "events", "get", ev.ID)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, fieldLine("type", "payment.succeeded"), r.stdout)
	assert.Regexp(t, fieldLine("object", "payment "+p.ID), r.stdout)
	assert.Contains(t, r.stdout, "data.object:\n{")

	r = against(t, srv, "events", "list")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^`+ev.ID+` +payment.succeeded +payment `+p.ID, r.stdout)
	assert.Regexp(t, `(?m)^evt_\w+ +order.paid +order ord_`, r.stdout)

	r = against(t, srv, "events", "list", "--type", "order.paid", "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	var page tokenim.List[tokenim.Event]
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &page))
	require.Len(t, page.Data, 1)
	assert.Equal(t, tokenim.EventOrderPaid, page.Data[0].Type)

	r = against(t, srv, "events", "list", "--type", "order.bogus")
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "400 invalid_request")
	assert.Contains(t, r.stderr, "[param type]")
}

func TestStatus(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t)
	// No credentials needed.
	r := invocation{env: map[string]string{envBaseURL: srv.URL}}.run(t, "status")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, fieldLine("status", "operational"), r.stdout)
	assert.Regexp(t, fieldLine("base_url", srv.URL), r.stdout)

	srv.SetMaintenance(true)
	r = cli(t, "status", "--base-url", srv.URL, "--json")
	require.Equal(t, exitOK, r.code, r.stderr)
	var st tokenim.PlatformStatus
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &st))
	assert.Equal(t, tokenim.PlatformMaintenance, st.Status)

	r = cli(t, "status", "--base-url", srv.URL+"/nothing-here")
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "HTTP 404")
}

func TestAPIError_exit1WithCodeAndNoKey(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t)
	r := against(t, srv, "orders", "get", "ord_missing")
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "404 resource_missing")
	assert.Contains(t, r.stderr, "ord_missing")
	assert.Empty(t, r.stdout)

	const wrongKey = "sk_test_TOPSECRETwrongkey0123456789"
	env := sandboxEnv(srv)
	env[envAPIKey] = wrongKey
	r = invocation{env: env}.run(t, "payments", "list")
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "401 invalid_api_key")
	assert.NotContains(t, r.stderr, "TOPSECRET")
	assert.NotContains(t, r.stdout, "TOPSECRET")
}

func TestConfig_flagsWinOverEnv(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t)
	c := sdkClient(t, srv)
	o, _ := paidOrder(t, c, "ref-cfg-1", 1999)

	// The environment points to a merchant that does not exist; the flags
	// fix it.
	env := map[string]string{envAPIKey: "sk_test_nobody_here", envMerchantID: "mch_nobody", envBaseURL: "http://127.0.0.1:1"}
	r := invocation{env: env}.run(t, "orders", "get", o.ID, "--api-key", srv.APIKey(), "--merchant-id", srv.MerchantID, "--base-url", srv.URL)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, o.ID)

	// Only the base URL from the flag, the rest from the environment.
	env = sandboxEnv(srv)
	env[envBaseURL] = "http://127.0.0.1:1"
	r = invocation{env: env}.run(t, "orders", "get", o.ID, "--base-url", srv.URL)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, o.ID)

	// A merchant id that is not the key's is the platform's 403.
	r = invocation{env: sandboxEnv(srv)}.run(t, "orders", "list", "--merchant-id", "mch_someone_else")
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "403 merchant_mismatch")
}

func TestPayments_otherMethodsAndMetadataReadable(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t)
	c := sdkClient(t, srv)
	o, err := c.Orders.Create(t.Context(), &tokenim.OrderCreateParams{
		MerchantOrderID: "ref-wallet", Amount: 2500, Currency: "USD",
		Metadata: map[string]string{"sku": "A-1", "customer": "c_9"},
	})
	require.NoError(t, err)
	w, err := c.Payments.Create(t.Context(), &tokenim.PaymentCreateParams{OrderID: o.ID, Method: tokenim.Wallet(tokenim.WalletAlipay)})
	require.NoError(t, err)
	o2, err := c.Orders.Create(t.Context(), &tokenim.OrderCreateParams{MerchantOrderID: "ref-bank", Amount: 100, Currency: "KWD"})
	require.NoError(t, err)
	b, err := c.Payments.Create(t.Context(), &tokenim.PaymentCreateParams{OrderID: o2.ID, Method: tokenim.BankTransfer()})
	require.NoError(t, err)

	r := against(t, srv, "orders", "get", o.ID)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, fieldLine("metadata", "customer=c_9 sku=A-1"), r.stdout, "sorted by key")

	r = against(t, srv, "payments", "get", w.ID)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, fieldLine("method", "alipay"), r.stdout)
	assert.Regexp(t, fieldLine("fee", "0.25 USD"), r.stdout, "wallet fee 1%")

	r = against(t, srv, "payments", "list")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Regexp(t, `(?m)^`+b.ID+` +processing +0.100 KWD +bank_transfer +`+o2.ID, r.stdout)
	assert.Regexp(t, `(?m)^`+w.ID+` +succeeded +25.00 USD +alipay +`+o.ID, r.stdout)
}
