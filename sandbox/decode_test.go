package sandbox

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeStrict_reportsPathOfTheProblem(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body, code string
		param            *string
	}{
		{"malformed", `{"order_id":`, "invalid_request", nil},
		{"not an object", `[1,2]`, "invalid_request", nil},
		{"trailing data", `{"order_id":"o"} {}`, "invalid_request", nil},
		{"unknown top level", `{"order_id":"o","method":{"type":"bank_transfer"},"x":1}`, "parameter_unknown", stringPtr("x")},
		{"unknown nested", `{"order_id":"o","method":{"type":"card","card":{"number":"4242424242424242","exp_month":1,"exp_year":2030,"cvc":"123","foo":true}}}`, "parameter_unknown", stringPtr("method.card.foo")},
		{"wrong type nested", `{"order_id":"o","method":{"type":"card","card":{"number":"4242424242424242","exp_month":"1","exp_year":2030,"cvc":"123"}}}`, "invalid_request", stringPtr("method.card.exp_month")},
		{"fraction for int", `{"order_id":"o","method":{"type":"card","card":{"number":"4242424242424242","exp_month":1.5,"exp_year":2030,"cvc":"123"}}}`, "invalid_request", stringPtr("method.card.exp_month")},
		{"object for string", `{"order_id":{},"method":{"type":"bank_transfer"}}`, "invalid_request", stringPtr("order_id")},
		{"missing required", `{"method":{"type":"bank_transfer"}}`, "invalid_request", stringPtr("order_id")},
		{"missing nested required", `{"order_id":"o","method":{}}`, "invalid_request", stringPtr("method.type")},
		{"metadata value type", `{"order_id":"o","method":{"type":"bank_transfer"},"metadata":{"k":1}}`, "invalid_request", stringPtr("metadata.k")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, e := decodeStrict([]byte(c.body), paymentSchema)
			require.NotNil(t, e)
			assert.Equal(t, 400, e.status)
			assert.Equal(t, c.code, e.code)
			assert.Equal(t, c.param, e.param)
			assert.NotEmpty(t, e.detail)
		})
	}
}

func TestDecodeStrict_acceptsValidBodies(t *testing.T) {
	t.Parallel()
	o, e := decodeStrict([]byte(`{"order_id":"ord_1","method":{"type":"wallet","wallet":{"provider":"alipay"}},"metadata":{"a":"b"}}`), paymentSchema)
	require.Nil(t, e)
	assert.Equal(t, "ord_1", o.str("order_id"))
	assert.Equal(t, "alipay", o.obj("method").obj("wallet").str("provider"))
	assert.Equal(t, map[string]string{"a": "b"}, o.strMap("metadata"))

	empty, e := decodeStrict(nil, nil)
	require.Nil(t, e, "an empty body is {}")
	assert.Empty(t, empty)

	o, e = decodeStrict([]byte(`{"merchant_order_id":"m","amount":99999999999999999999999,"currency":"CNY","description":null}`), orderSchema)
	require.Nil(t, e)
	assert.Equal(t, int64(1<<63-1), o.int("amount"), "overflow saturates so the range check rejects it")
	assert.False(t, o.has("description"), "null is absent")
}

func FuzzDecodeStrict(f *testing.F) {
	f.Add([]byte(`{"order_id":"o","method":{"type":"card","card":{"number":"4242424242424242","exp_month":1,"exp_year":2030,"cvc":"123"}}}`))
	f.Add([]byte(`{"metadata":{"a":"b"},"x":[1,{}]}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, body []byte) {
		o, e := decodeStrict(body, paymentSchema)
		if e != nil {
			assert.Equal(t, 400, e.status)
			assert.Nil(t, o)
			return
		}
		_, _, _ = validateMethod(o.obj("method")) // must not panic either
	})
}

// `"method":"card"` gets an error that says method is an object
// and shows one, not a bare type error.
func TestCreatePayment_methodAsStringShowsTheObject(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	orderID := newOrder(t, srv, 100)
	r := api(t, srv, "POST", "/v1/payments", map[string]any{"order_id": orderID, "method": "card"})
	require.Equal(t, 400, r.status)
	assert.Equal(t, "invalid_request", r.str("code"))
	assert.Equal(t, "method", r.str("param"))
	assert.Contains(t, r.str("detail"), `"method" must be an object`)
	assert.Contains(t, r.str("detail"), `{"type":"card","card":{`)
}

// Two values for one key used to be accepted, the last winning: an order of
// 999999 that a proxy reading the first amount saw as 1.
func TestDecodeStrict_duplicateKeysAreRefusedByPath(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		`{"merchant_order_id":"dk1","amount":1,"currency":"CNY","amount":999999}`:              "amount",
		`{"merchant_order_id":"dk1","amount":1,"currency":"CNY","metadata":{"a":"1","a":"2"}}`: "metadata.a",
		`{"order_id":"o","method":{"type":"card","card":{"number":"4242","number":"4000"}}}`:   "method.card.number",
		`{"rules":[{"kind":"a"},{"kind":"b","path":"/x","kind":"c"}]}`:                         "rules.1.kind",
		`{"a\u0062":1,"ab":2}`: "ab",
		`{"merchant_order_id":"dk1","amount":1,"currency":"CNY","metadata":{"x":[{"y":1}],"z":{"y":1}},"metadata":{}}`: "metadata",
	}
	for body, param := range cases {
		_, e := decodeStrict([]byte(body), nil)
		require.NotNil(t, e, body)
		assert.Equal(t, 400, e.status)
		assert.Equal(t, "invalid_request", e.code)
		if assert.NotNil(t, e.param, body) {
			assert.Equal(t, param, *e.param, body)
		}
		assert.Contains(t, e.detail, "more than once")
	}
	_, e := decodeStrict([]byte(`{"a":{"k":1},"b":{"k":1},"c":[{"k":1},{"k":1}]}`), []field{
		{name: "a", kind: kStringMap}, {name: "b", kind: kStringMap}, {name: "c", kind: kObjectList}})
	if e != nil {
		assert.NotContains(t, e.detail, "more than once", "the same key in different objects is no duplicate")
	}

	srv := Start(t, WithFrozenClock(t0))
	r := api(t, srv, "POST", "/v1/orders", `{"merchant_order_id":"dk1","amount":1,"currency":"CNY","amount":999999}`)
	assert.Equal(t, 400, r.status, "%s", r.raw)
	assert.Equal(t, "invalid_request", r.str("code"))
	assert.Equal(t, "amount", r.str("param"))
	assert.Empty(t, api(t, srv, "GET", "/v1/orders", nil).body["data"], "no order was created")
}

// Invalid UTF-8 used to become U+FFFD silently; bodies are UTF-8 (§1).
func TestDecodeStrict_invalidUTF8IsRefused(t *testing.T) {
	t.Parallel()
	_, e := decodeStrict([]byte("{\"merchant_order_id\":\"m\xff\",\"amount\":1,\"currency\":\"CNY\"}"), orderSchema)
	require.NotNil(t, e)
	assert.Equal(t, 400, e.status)
	assert.Equal(t, "invalid_request", e.code)
	assert.Contains(t, e.detail, "UTF-8 (byte 23)")
	_, e = decodeStrict([]byte(`{"merchant_order_id":"茶 �","amount":1,"currency":"CNY"}`), orderSchema)
	assert.Nil(t, e, "valid UTF-8, U+FFFD itself included, is fine")
}
