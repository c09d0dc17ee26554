package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	tokenim "github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/sandbox"
)

func TestFormBody(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		pairs []string
		want  string
	}{
		{"flat, integer as number", []string{"merchant_order_id=A-1", "amount=1999", "currency=CNY"},
			`{"merchant_order_id":"A-1","amount":1999,"currency":"CNY"}`},
		{"brackets and dots nest alike", []string{"method[type]=card", "method.card.exp_month=12", "method[card][exp_year]=2040"},
			`{"method":{"type":"card","card":{"exp_month":12,"exp_year":2040}}}`},
		{"card number, cvc and otp stay strings", []string{"method.card.number=4242424242424242", "method.card.cvc=123", "otp=000000"},
			`{"method":{"card":{"number":"4242424242424242","cvc":"123"}},"otp":"000000"}`},
		{"digit order reference stays a string", []string{"merchant_order_id=1001"}, `{"merchant_order_id":"1001"}`},
		{"metadata stays strings", []string{"metadata.k=123", "metadata[flag]=true"}, `{"metadata":{"k":"123","flag":"true"}}`},
		{"quotes force a string", []string{`amount="12"`, `description="say \"hi\""`}, `{"amount":"12","description":"say \"hi\""}`},
		{"leading zero is a string", []string{"code=0123"}, `{"code":"0123"}`},
		{"negative and zero", []string{"a=-5", "b=0"}, `{"a":-5,"b":0}`},
		{"literals", []string{"remaining=true", "x=false", "reason=null"}, `{"remaining":true,"x":false,"reason":null}`},
		{"list by []", []string{"events[]=order.paid", "events[]=order.expired"}, `{"events":["order.paid","order.expired"]}`},
		{"empty value is an empty string", []string{"description="}, `{"description":""}`},
		{"= in the value", []string{"url=https://x.test/?a=b"}, `{"url":"https://x.test/?a=b"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, err := formBody("-d post", tc.pairs)
			require.NoError(t, err)
			got, err := json.Marshal(b)
			require.NoError(t, err)
			assert.JSONEq(t, tc.want, string(got))
		})
	}
}

func TestFormBody_errorsNameThePair(t *testing.T) {
	t.Parallel()
	cases := []struct {
		pairs []string
		want  string
	}{
		{[]string{"amount"}, `-d "amount": want key=value`},
		{[]string{"=5"}, `-d "=5": the key is empty`},
		{[]string{"a..b=1"}, `-d "a..b=1": an empty part in the key`},
		{[]string{"a[b=1"}, `-d "a[b=1": unclosed [ in the key`},
		{[]string{"amount=1", "amount=2"}, `-d "amount=2": amount is given twice`},
		{[]string{"method=card", "method.type=card"}, `-d "method.type=card": method is already a value, not an object`},
		{[]string{"events=x", "events[]=y"}, `-d "events[]=y": events is already set to something other than a list`},
		{[]string{`d="unterminated\"`}, `the quoted value is not a JSON string`},
		{[]string{"method.card.number=4242424242424242", "method.card.number=4000000000000002"}, `-d "method.card.number=[redacted]": method.card.number is given twice`},
	}
	for _, tc := range cases {
		_, err := formBody("-d post", tc.pairs)
		require.Error(t, err, "%q", tc.pairs)
		assert.Contains(t, err.Error(), tc.want)
		assert.NotContains(t, err.Error(), "4000000000000002", "a card number is never quoted")
	}
}

func TestPost_createsAndPrintsTheAnswer(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t)
	r := against(t, srv, "post", "/v1/orders", "-d", "merchant_order_id=1001", "-d", "amount=1999", "-d", "currency=CNY",
		"-d", "metadata.table=12", "--idempotency-key", "cli-post-1")
	require.Equal(t, exitOK, r.code, r.stderr)
	var o tokenim.Order
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &o), r.stdout)
	assert.Equal(t, int64(1999), o.Amount)
	assert.Equal(t, "1001", o.MerchantOrderID)
	assert.Equal(t, map[string]string{"table": "12"}, o.Metadata)

	// The same key again replays the answer: no second order.
	again := against(t, srv, "post", "/v1/orders", "-d", "merchant_order_id=1001", "-d", "amount=1999", "-d", "currency=CNY",
		"-d", "metadata.table=12", "--idempotency-key", "cli-post-1")
	require.Equal(t, exitOK, again.code, again.stderr)
	assert.JSONEq(t, r.stdout, again.stdout)
	n := 0
	for _, err := range sdkClient(t, srv).Orders.All(t.Context(), nil) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 1, n)

	// A payment with nested method fields, the card number a string.
	r = against(t, srv, "post", "/v1/payments", "-d", "order_id="+o.ID, "-d", "method[type]=card",
		"-d", "method[card][number]="+cardSucceeds, "-d", "method.card.exp_month=12", "-d", "method.card.exp_year=2040", "-d", "method.card.cvc=123")
	require.Equal(t, exitOK, r.code, r.stderr)
	var p tokenim.Payment
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &p))
	assert.Equal(t, tokenim.PaymentStatusSucceeded, p.Status)
	assert.NotContains(t, r.stdout, cardSucceeds)

	// Without --idempotency-key each call gets a fresh key: the same body
	// again is a new call, which the platform refuses as a duplicate
	// merchant_order_id rather than replaying.
	fresh := []string{"post", "/v1/orders", "-d", "merchant_order_id=fresh-1", "-d", "amount=5", "-d", "currency=CNY"}
	r = against(t, srv, fresh...)
	require.Equal(t, exitOK, r.code, r.stderr)
	r = against(t, srv, fresh...)
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "merchant_order_id")
}

func TestPost_errors(t *testing.T) {
	t.Parallel()
	srv := sandbox.Start(t)
	r := against(t, srv, "post", "/v1/orders", "-d", "amount=abc", "-d", "currency=CNY", "-d", "merchant_order_id=x")
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "amount", "the API's error names the field")

	r = against(t, srv, "post", "/v1/orders", "-d", "amount")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, `-d "amount": want key=value`)
	assert.Contains(t, r.stderr, "Run 'tokenim post --help' for usage.")

	r = against(t, srv, "post", "orders")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "the path must start with /v1/")
	r = against(t, srv, "post")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "post takes one API path")
}
