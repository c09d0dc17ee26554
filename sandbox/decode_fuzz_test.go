package sandbox

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fuzzRoutes are the POST routes whose bodies the sandbox decodes strictly,
// with the schema each decodes against. Ids in paths do not exist: decoding
// comes before the lookup.
var fuzzRoutes = []struct {
	path   string
	schema []field
}{
	{"/v1/orders", orderSchema},
	{"/v1/orders/ord_missing/cancel", nil},
	{"/v1/payments", paymentSchema},
	{"/v1/payments/pay_missing/confirm", confirmSchema},
	{"/v1/payments/pay_missing/cancel", nil},
	{"/v1/refunds", refundSchema},
	{"/v1/webhook_endpoints", endpointSchema},
	{"/v1/webhook_endpoints/we_missing/rotate_secret", rotateSchema},
}

// validation400 are the codes a well-formed body may still get as a 400.
var validation400 = map[string]bool{
	"invalid_request": true, "parameter_unknown": true, "amount_invalid": true,
	"currency_unsupported": true, "invalid_card_number": true, "metadata_invalid": true,
}

// checkDecoded asserts that an accepted object holds only schema members,
// each of the schema's kind, and every required member.
func checkDecoded(t *testing.T, m map[string]any, schema []field, path string) {
	t.Helper()
	for k := range m {
		assert.True(t, hasField(schema, k), "unknown member %q at %q accepted", k, path)
	}
	for _, f := range schema {
		v, ok := m[f.name]
		if !ok {
			assert.False(t, f.required, "required %q missing at %q", f.name, path)
			continue
		}
		switch f.kind {
		case kString:
			assert.IsType(t, "", v)
		case kBool:
			assert.IsType(t, true, v)
		case kInt:
			n, ok := v.(json.Number)
			if assert.True(t, ok, "%s.%s is a number", path, f.name) {
				assert.NotContains(t, string(n), ".")
				assert.NotContains(t, strings.ToLower(string(n)), "e")
			}
		case kNumber:
			assert.IsType(t, json.Number(""), v)
		case kObject:
			sub, ok := v.(map[string]any)
			if assert.True(t, ok, "%s.%s is an object", path, f.name) {
				checkDecoded(t, sub, f.sub, path+"."+f.name)
			}
		case kStringMap:
			sub, ok := v.(map[string]any)
			if assert.True(t, ok) {
				for _, e := range sub {
					assert.IsType(t, "", e)
				}
			}
		case kStringList:
			l, ok := v.([]any)
			if assert.True(t, ok) {
				for _, e := range l {
					assert.IsType(t, "", e)
				}
			}
		}
	}
}

// FuzzDecodeRequestBody sends arbitrary bodies and Content-Types to every
// POST route. The strict decoder must never panic; what it accepts is a JSON
// object of the route's schema; what it rejects is a 400 invalid_request or
// parameter_unknown naming a parameter when it is about one. Over HTTP, a
// non-empty body whose Content-Type is present and not application/json
// (parameters allowed) is 400 invalid_request without param; otherwise the
// answer is exactly the decoder's rejection, or for an accepted body never
// a 5xx and always a JSON document.
func FuzzDecodeRequestBody(f *testing.F) {
	seeds := []string{
		`{"merchant_order_id":"m-1","amount":1999,"currency":"CNY","metadata":{"a":"b"}}`,
		`{"merchant_order_id":"m-2","amount":1.5,"currency":"CNY"}`,
		`{"merchant_order_id":"m-3","amount":99999999999999999999999,"currency":"CNY","description":null}`,
		`{"order_id":"ord_1","method":{"type":"card","card":{"number":"4242424242424242","exp_month":12,"exp_year":2030,"cvc":"123"}}}`,
		`{"order_id":"ord_1","method":{"type":"card","card":{"number":"4242","exp_month":"12","foo":1}}}`,
		`{"order_id":"ord_1","method":{"type":"wallet","wallet":{"provider":"alipay"}},"metadata":{"k":1}}`,
		`{"otp":"000000"}`,
		`{"payment_id":"pay_1","amount":-1,"reason":"duplicate"}`,
		`{"url":"https://example.invalid/hook","events":["*"],"description":"d"}`,
		`{"url":"https://example.invalid/hook","events":[1]}`,
		`{"expire_old_after_seconds":0}`,
		`{"expire_old_after_seconds":1e3}`,
		``, `   `, `{}`, `null`, `[]`, `"x"`, `{} {}`, `{"a":1}x`, `{`, `{"":1}`, `{"metadata":{"":""}}`,
		`{"a":{"b":{"c":[{"d":1}]}}}`, "\xef\xbb\xbf{}", `{"amount":-0}`, `{"amount":1,"amount":"x"}`,
		`{"merchant_order_id":"dk1","amount":1,"currency":"CNY","amount":999999}`,
		`{"order_id":"o","method":{"type":"card","card":{"cvc":"1","cvc":"2"}}}`, `{"a\u0062":1,"ab":2}`,
		"{\"merchant_order_id\":\"m\xff\",\"amount\":1,\"currency\":\"CNY\"}", "{\"otp\":\"\xc3\"}",
	}
	types := []string{"application/json", "application/json; charset=utf-8", "", "APPLICATION/JSON",
		"text/plain", "application/problem+json", "application/json; charset", "application/x-www-form-urlencoded"}
	for i, s := range seeds {
		f.Add(uint8(i), types[i%len(types)], []byte(s))
	}
	sb := New(WithFrozenClock(t0), WithSeed(2))
	f.Cleanup(sb.Close)
	execs := 0

	f.Fuzz(func(t *testing.T, route uint8, contentType string, body []byte) {
		rt := fuzzRoutes[int(route)%len(fuzzRoutes)]

		o, e := decodeStrict(bytes.Clone(body), rt.schema)
		if e != nil {
			assert.Nil(t, o)
			assert.Equal(t, 400, e.status)
			assert.Contains(t, []string{"invalid_request", "parameter_unknown"}, e.code)
			assert.NotEmpty(t, e.detail)
			if e.code == "parameter_unknown" {
				assert.NotNil(t, e.param, "parameter_unknown names the parameter")
			}
		} else {
			require.NotNil(t, o)
			if len(bytes.TrimSpace(body)) > 0 {
				assert.True(t, json.Valid(body), "accepted body %q is JSON", body)
			}
			assert.True(t, utf8.Valid(body), "accepted body %q is UTF-8", body)
			_, dup := duplicateKey(body)
			assert.False(t, dup, "accepted body %q repeats no key", body)
			checkDecoded(t, o, rt.schema, "")
		}

		execs++
		if execs%1000 == 0 {
			sb.Reset() // bound the state a long run builds up
		}
		w := fuzzPostAs(sb, rt.path, "\x00absent", contentType, body)
		if w.Code == http.StatusOK && rt.path == "/v1/webhook_endpoints" {
			sb.Reset() // never deliver events to a fuzzed URL
		}
		require.Less(t, w.Code, 500, "%s %s: %s", rt.path, body, w.Body.Bytes())
		var doc map[string]any
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &doc), "answer is a JSON object: %s", w.Body.Bytes())
		if mt, _, err := mime.ParseMediaType(contentType); len(body) > 0 && contentType != "" && (err != nil || mt != "application/json") {
			require.Equal(t, 400, w.Code, "Content-Type %q", contentType)
			assert.Equal(t, "invalid_request", doc["code"])
			assert.Nil(t, doc["param"])
			return
		}
		if e != nil {
			require.Equal(t, 400, w.Code)
			assert.Equal(t, e.code, doc["code"])
			if e.param != nil {
				assert.Equal(t, *e.param, doc["param"])
			} else {
				assert.Nil(t, doc["param"])
			}
			return
		}
		if w.Code == http.StatusBadRequest {
			code, _ := doc["code"].(string)
			assert.True(t, validation400[code], "400 code %v", doc["code"])
		}
		if w.Code == http.StatusOK {
			assert.NotEmpty(t, doc["object"], "a success names its object")
		}
	})
}
