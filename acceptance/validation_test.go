package acceptance

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// assertNoOrder asserts that no order with merchant_order_id exists.
func (e *env) assertNoOrder(merchantOrderID string) {
	e.t.Helper()
	data, _ := e.list("/v1/orders?merchant_order_id=" + merchantOrderID)
	assert.Empty(e.t, data, "the rejected request created no order")
}

func TestValidation_orderCreate(t *testing.T) {
	e := start(t)
	metadata := func(n, keyLen, valLen int) map[string]any {
		m := map[string]any{}
		for i := 0; i < n; i++ {
			k := fmt.Sprintf("%02d", i) + strings.Repeat("k", keyLen-2)
			m[k] = strings.Repeat("v", valLen)
		}
		return m
	}
	cases := []struct {
		name  string
		body  func(mo string) any
		code  string
		param string // "" = null; "-" = not checked
	}{
		{"malformed JSON", func(mo string) any { return `{"merchant_order_id":"` + mo + `","amount":` }, "invalid_request", ""},
		{"not an object", func(mo string) any { return `[1,2]` }, "invalid_request", "-"},
		{"unknown top-level field", func(mo string) any {
			return orderBody(1000, "CNY", map[string]any{"merchant_order_id": mo, "colour": "red"})
		}, "parameter_unknown", "colour"},
		{"amount as string", func(mo string) any {
			return orderBody(0, "CNY", map[string]any{"merchant_order_id": mo, "amount": "1000"})
		}, "invalid_request", "amount"},
		{"currency as number", func(mo string) any {
			return orderBody(1000, "", map[string]any{"merchant_order_id": mo, "currency": 156})
		}, "invalid_request", "currency"},
		{"metadata as string", func(mo string) any {
			return orderBody(1000, "CNY", map[string]any{"merchant_order_id": mo, "metadata": "x"})
		}, "invalid_request", "metadata"},
		{"merchant_order_id as number", func(mo string) any {
			return map[string]any{"merchant_order_id": 42, "amount": 1000, "currency": "CNY", "description": mo}
		}, "invalid_request", "merchant_order_id"},
		{"missing merchant_order_id", func(mo string) any {
			return map[string]any{"amount": 1000, "currency": "CNY", "description": mo}
		}, "invalid_request", "merchant_order_id"},
		{"missing amount", func(mo string) any {
			return map[string]any{"merchant_order_id": mo, "currency": "CNY"}
		}, "invalid_request", "amount"},
		{"missing currency", func(mo string) any {
			return map[string]any{"merchant_order_id": mo, "amount": 1000}
		}, "invalid_request", "currency"},
		{"amount 0", func(mo string) any { return orderBody(0, "CNY", map[string]any{"merchant_order_id": mo}) }, "amount_invalid", "-"},
		{"amount negative", func(mo string) any { return orderBody(-5, "CNY", map[string]any{"merchant_order_id": mo}) }, "amount_invalid", "-"},
		{"amount max+1", func(mo string) any {
			return orderBody(99_999_999_999+1, "CNY", map[string]any{"merchant_order_id": mo})
		}, "amount_invalid", "-"},
		{"unsupported currency XYZ", func(mo string) any { return orderBody(1000, "XYZ", map[string]any{"merchant_order_id": mo}) }, "currency_unsupported", "-"},
		{"unsupported currency CHF", func(mo string) any { return orderBody(1000, "CHF", map[string]any{"merchant_order_id": mo}) }, "currency_unsupported", "-"},
		{"metadata 21 keys", func(mo string) any {
			return orderBody(1000, "CNY", map[string]any{"merchant_order_id": mo, "metadata": metadata(21, 5, 5)})
		}, "metadata_invalid", "-"},
		{"metadata key 41 chars", func(mo string) any {
			return orderBody(1000, "CNY", map[string]any{"merchant_order_id": mo, "metadata": metadata(1, 41, 5)})
		}, "metadata_invalid", "-"},
		{"metadata value 501 chars", func(mo string) any {
			return orderBody(1000, "CNY", map[string]any{"merchant_order_id": mo, "metadata": metadata(1, 5, 501)})
		}, "metadata_invalid", "-"},
		{"metadata value not a string", func(mo string) any {
			return orderBody(1000, "CNY", map[string]any{"merchant_order_id": mo, "metadata": map[string]any{"n": 1}})
		}, "", "-"},
		{"description 1001 chars", func(mo string) any {
			return orderBody(1000, "CNY", map[string]any{"merchant_order_id": mo, "description": strings.Repeat("d", 1001)})
		}, "invalid_request", "description"},
		{"expires_at not a time", func(mo string) any {
			return orderBody(1000, "CNY", map[string]any{"merchant_order_id": mo, "expires_at": "tomorrow"})
		}, "invalid_request", "expires_at"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := e.at(t)
			mo := unique("mo")
			r := e.post("/v1/orders", c.body(mo))
			b := e.fail(r, http.StatusBadRequest, c.code)
			if c.param != "-" {
				if c.param == "" {
					assert.Nil(t, b["param"], "param null; body %s", r.raw)
				} else {
					assert.Equal(t, c.param, str(b, "param"))
				}
			}
			e.assertNoOrder(mo)
		})
	}
	t.Run("merchant_order_id empty", func(t *testing.T) {
		e := e.at(t)
		e.failParam(e.post("/v1/orders", orderBody(1000, "CNY", map[string]any{"merchant_order_id": ""})),
			400, "invalid_request", "merchant_order_id")
	})
	t.Run("merchant_order_id 65 chars", func(t *testing.T) {
		e := e.at(t)
		mo := unique("mo") + strings.Repeat("x", 65)
		mo = mo[:65]
		e.failParam(e.post("/v1/orders", orderBody(1000, "CNY", map[string]any{"merchant_order_id": mo})),
			400, "invalid_request", "merchant_order_id")
		e.assertNoOrder(mo)
	})
	t.Run("limits accepted", func(t *testing.T) {
		e := e.at(t)
		mo64 := (unique("mo") + strings.Repeat("y", 64))[:64]
		meta := metadata(20, 40, 500)
		b := e.ok(e.post("/v1/orders", orderBody(99_999_999_999, "CNY", map[string]any{
			"merchant_order_id": mo64, "metadata": meta, "description": strings.Repeat("d", 1000),
		})))
		got := e.getOrder(str(b, "id"))
		assert.Equal(t, int64(99_999_999_999), num(got, "amount"))
		assert.Equal(t, mo64, str(got, "merchant_order_id"))
		assert.Len(t, obj(got, "metadata"), 20)
		assert.Len(t, str(got, "description"), 1000)
		one := e.ok(e.post("/v1/orders", orderBody(1, "CNY", map[string]any{"merchant_order_id": "a"})))
		assert.Equal(t, int64(1), num(one, "amount"))
		assert.Equal(t, "a", str(e.getOrder(str(one, "id")), "merchant_order_id"))
	})
}

func TestValidation_currencies(t *testing.T) {
	e := start(t)
	for _, cur := range []string{"CNY", "USD", "EUR", "GBP", "HKD", "SGD", "JPY", "KWD"} {
		t.Run(cur, func(t *testing.T) {
			e := e.at(t)
			// 1235 is ¥1235 in JPY and 1.235 KWD: the amount is minor units, never scaled.
			b := e.ok(e.post("/v1/orders", orderBody(1235, cur, nil)))
			got := e.getOrder(str(b, "id"))
			assert.Equal(t, cur, str(got, "currency"))
			assert.Equal(t, int64(1235), num(got, "amount"))
			p := e.ok(e.pay(str(b, "id"), wallet("alipay")))
			assert.Equal(t, cur, str(p, "currency"))
			assert.Equal(t, int64(1235), num(p, "amount"))
			assert.Equal(t, int64(12), num(p, "fee"), "wallet 1%% of 1235 rounds to 12")
		})
	}
}

func TestValidation_expiresAt(t *testing.T) {
	e := start(t)
	e.freeze()
	now := e.now()
	cases := []struct {
		name string
		in   time.Duration
		ok   bool
	}{
		{"in the past", -time.Hour, false},
		{"59 s ahead", 59 * time.Second, false},
		{"61 s ahead", 61 * time.Second, true},
		{"7 days less 1 s", 7*24*time.Hour - time.Second, true},
		{"7 days and 1 s", 7*24*time.Hour + time.Second, false},
		{"30 days", 30 * 24 * time.Hour, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := e.at(t)
			exp := fmtTime(now.Add(c.in))
			body := orderBody(1000, "CNY", map[string]any{"expires_at": exp})
			r := e.post("/v1/orders", body)
			if !c.ok {
				e.failParam(r, 400, "invalid_request", "expires_at")
				e.assertNoOrder(str(body, "merchant_order_id"))
				return
			}
			b := e.ok(r)
			assert.Equal(t, exp, str(e.getOrder(str(b, "id")), "expires_at"))
		})
	}
}

func TestValidation_transport(t *testing.T) {
	e := start(t)
	t.Run("body over 1 MiB", func(t *testing.T) {
		e := e.at(t)
		mo := unique("mo")
		body := fmt.Sprintf(`{"merchant_order_id":%q,"amount":1000,"currency":"CNY","description":%q}`,
			mo, strings.Repeat("x", 1<<20+10))
		e.failParam(e.post("/v1/orders", body), 400, "invalid_request", "")
		e.assertNoOrder(mo)
	})
	t.Run("content type not JSON", func(t *testing.T) {
		e := e.at(t)
		body := orderBody(1000, "CNY", nil)
		e.fail(e.post("/v1/orders", body, withHeader("Content-Type", "text/plain")), 400, "invalid_request")
		e.assertNoOrder(str(body, "merchant_order_id"))
	})
	t.Run("content type with charset", func(t *testing.T) {
		e := e.at(t)
		e.ok(e.post("/v1/orders", orderBody(1000, "CNY", nil), withHeader("Content-Type", "application/json; charset=utf-8")))
	})
	t.Run("empty body on cancel", func(t *testing.T) {
		e := e.at(t)
		o := e.order(1000)
		b := e.ok(e.do("POST", "/v1/orders/"+str(o, "id")+"/cancel", nil))
		assert.Equal(t, "canceled", str(b, "status"))
	})
	t.Run("unknown path", func(t *testing.T) {
		e := e.at(t)
		e.fail(e.get("/v1/widgets"), 404, "resource_missing")
	})
	t.Run("unknown order id", func(t *testing.T) {
		e := e.at(t)
		e.fail(e.get("/v1/orders/ord_doesnotexist"), 404, "resource_missing")
	})
	t.Run("wrong method", func(t *testing.T) {
		e := e.at(t)
		r := e.do("DELETE", "/v1/orders", nil)
		e.fail(r, http.StatusMethodNotAllowed, "invalid_request")
		assert.Contains(t, r.header.Get("Allow"), "GET")
		assert.Contains(t, r.header.Get("Allow"), "POST")
	})
	t.Run("version header ignored", func(t *testing.T) {
		e := e.at(t)
		r := e.get("/v1/orders", withHeader("Tokenim-Version", "1999-01-01"))
		e.ok(r)
	})
	t.Run("unknown query parameter ignored", func(t *testing.T) {
		e := e.at(t)
		e.list("/v1/orders?colour=red")
	})
}

func TestValidation_listParameters(t *testing.T) {
	e := start(t)
	e.order(1000)
	for _, path := range []string{"/v1/orders", "/v1/payments", "/v1/refunds", "/v1/events", "/v1/webhook_endpoints"} {
		t.Run(path, func(t *testing.T) {
			e := e.at(t)
			for _, bad := range []string{"0", "101", "-1", "abc", "1.5"} {
				e.failParam(e.get(path+"?limit="+bad), 400, "invalid_request", "limit")
			}
			for _, good := range []string{"1", "100"} {
				e.list(path + "?limit=" + good)
			}
			e.failParam(e.get(path+"?starting_after=xyz_nope"), 400, "invalid_request", "starting_after")
		})
	}
	t.Run("bad filter values", func(t *testing.T) {
		e := e.at(t)
		e.failParam(e.get("/v1/orders?status=bogus"), 400, "invalid_request", "status")
		e.failParam(e.get("/v1/payments?status=bogus"), 400, "invalid_request", "status")
		e.failParam(e.get("/v1/events?type=order.exploded"), 400, "invalid_request", "type")
	})
}

func TestValidation_paymentCreate(t *testing.T) {
	e := start(t)
	order := e.order(1000)
	oid := str(order, "id")
	cardWith := func(k string, v any) map[string]any {
		m := card("4242424242424242")
		m["card"].(map[string]any)[k] = v
		return m
	}
	cardWithout := func(k string) map[string]any {
		m := card("4242424242424242")
		delete(m["card"].(map[string]any), k)
		return m
	}
	cases := []struct {
		name  string
		body  any
		code  string
		param string
	}{
		{"malformed JSON", `{"order_id":`, "invalid_request", ""},
		{"missing order_id", map[string]any{"method": card("4242424242424242")}, "invalid_request", "order_id"},
		{"missing method", map[string]any{"order_id": oid}, "invalid_request", "method"},
		{"unknown top-level", map[string]any{"order_id": oid, "method": card("4242424242424242"), "tip": 5}, "parameter_unknown", "tip"},
		{"unknown in method", map[string]any{"order_id": oid, "method": map[string]any{"type": "bank_transfer", "iban": "x"}}, "parameter_unknown", "method.iban"},
		{"unknown in card", map[string]any{"order_id": oid, "method": cardWith("foo", "bar")}, "parameter_unknown", "method.card.foo"},
		{"unknown in wallet", map[string]any{"order_id": oid, "method": map[string]any{"type": "wallet", "wallet": map[string]any{"provider": "alipay", "x": 1}}}, "parameter_unknown", "method.wallet.x"},
		{"unknown method type", map[string]any{"order_id": oid, "method": map[string]any{"type": "cash"}}, "invalid_request", "method.type"},
		{"card object missing", map[string]any{"order_id": oid, "method": map[string]any{"type": "card"}}, "invalid_request", "method.card"},
		{"wallet object missing", map[string]any{"order_id": oid, "method": map[string]any{"type": "wallet"}}, "invalid_request", "method.wallet"},
		{"unknown provider", map[string]any{"order_id": oid, "method": wallet("venmo")}, "invalid_request", "method.wallet.provider"},
		{"exp_month as string", map[string]any{"order_id": oid, "method": cardWith("exp_month", "12")}, "invalid_request", "method.card.exp_month"},
		{"exp_month 0", map[string]any{"order_id": oid, "method": cardWith("exp_month", 0)}, "invalid_request", "method.card.exp_month"},
		{"exp_month 13", map[string]any{"order_id": oid, "method": cardWith("exp_month", 13)}, "invalid_request", "method.card.exp_month"},
		{"exp_year 2 digits", map[string]any{"order_id": oid, "method": cardWith("exp_year", 30)}, "invalid_request", "method.card.exp_year"},
		{"exp_year 5 digits", map[string]any{"order_id": oid, "method": cardWith("exp_year", 20300)}, "invalid_request", "method.card.exp_year"},
		{"cvc 2 digits", map[string]any{"order_id": oid, "method": cardWith("cvc", "12")}, "invalid_request", "method.card.cvc"},
		{"cvc 5 digits", map[string]any{"order_id": oid, "method": cardWith("cvc", "12345")}, "invalid_request", "method.card.cvc"},
		{"cvc letters", map[string]any{"order_id": oid, "method": cardWith("cvc", "abc")}, "invalid_request", "method.card.cvc"},
		{"missing cvc", map[string]any{"order_id": oid, "method": cardWithout("cvc")}, "invalid_request", "method.card.cvc"},
		{"missing number", map[string]any{"order_id": oid, "method": cardWithout("number")}, "invalid_request", "method.card.number"},
		{"Luhn failure", map[string]any{"order_id": oid, "method": card("4242424242424241")}, "invalid_card_number", "method.card.number"},
		{"11 digits", map[string]any{"order_id": oid, "method": card(luhn("4242424242"))}, "invalid_card_number", "method.card.number"},
		{"20 digits", map[string]any{"order_id": oid, "method": card(luhn("4242424242424242424"))}, "invalid_card_number", "method.card.number"},
		{"spaces", map[string]any{"order_id": oid, "method": card("4242 4242 4242 4242")}, "invalid_card_number", "method.card.number"},
		{"letters", map[string]any{"order_id": oid, "method": card("4242abcd42424242")}, "invalid_card_number", "method.card.number"},
		{"metadata too many keys", map[string]any{"order_id": oid, "method": card("4242424242424242"), "metadata": func() map[string]any {
			m := map[string]any{}
			for i := 0; i < 21; i++ {
				m[fmt.Sprint("k", i)] = "v"
			}
			return m
		}()}, "metadata_invalid", "-"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := e.at(t)
			r := e.post("/v1/payments", c.body)
			b := e.fail(r, 400, c.code)
			switch c.param {
			case "-":
			case "":
				assert.Nil(t, b["param"], "param null")
			default:
				assert.Equal(t, c.param, str(b, "param"))
			}
			assert.NotContains(t, string(r.raw), "4242424242424242", "card number never echoed")
		})
	}
	t.Run("nothing was created", func(t *testing.T) {
		e := e.at(t)
		pays, _ := e.list("/v1/payments?order_id=" + oid)
		assert.Empty(t, pays)
		assert.Equal(t, "open", str(e.getOrder(oid), "status"))
	})
	t.Run("validation before guards", func(t *testing.T) {
		e := e.at(t)
		paid, _ := e.paidOrder(1000)
		e.failParam(e.pay(str(paid, "id"), card("4242424242424241")), 400, "invalid_card_number", "method.card.number")
		e.failParam(e.post("/v1/payments", map[string]any{"order_id": "ord_nope", "method": wallet("venmo")}),
			400, "invalid_request", "method.wallet.provider")
	})
	t.Run("missing order", func(t *testing.T) {
		e := e.at(t)
		e.failParam(e.pay("ord_doesnotexist", card("4242424242424242")), 404, "resource_missing", "order_id")
	})
	t.Run("12 and 19 digit Luhn-valid numbers succeed", func(t *testing.T) {
		e := e.at(t)
		for _, n := range []string{luhn("42424242424"), luhn("424242424242424242")} {
			o := e.order(1000)
			p := e.ok(e.pay(str(o, "id"), card(n)))
			assert.Equal(t, "succeeded", str(p, "status"), n)
			assert.Equal(t, n[len(n)-4:], str(p, "method.card.last4"))
		}
	})
}

func TestValidation_refundCreate(t *testing.T) {
	e := start(t)
	_, p := e.paidOrder(1000)
	pid := str(p, "id")
	cases := []struct {
		name  string
		body  any
		code  string
		param string
	}{
		{"malformed JSON", `{"payment_id":`, "invalid_request", ""},
		{"missing payment_id", map[string]any{"amount": 100}, "invalid_request", "payment_id"},
		{"unknown field", map[string]any{"payment_id": pid, "currency": "CNY"}, "parameter_unknown", "currency"},
		{"amount 0", map[string]any{"payment_id": pid, "amount": 0}, "amount_invalid", "-"},
		{"amount max+1", map[string]any{"payment_id": pid, "amount": 100_000_000_000}, "amount_invalid", "-"},
		{"amount as string", map[string]any{"payment_id": pid, "amount": "100"}, "invalid_request", "amount"},
		{"bad reason", map[string]any{"payment_id": pid, "reason": "bored"}, "invalid_request", "reason"},
		{"metadata key 41 chars", map[string]any{"payment_id": pid, "metadata": map[string]any{strings.Repeat("k", 41): "v"}}, "metadata_invalid", "-"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := e.at(t)
			b := e.fail(e.post("/v1/refunds", c.body), 400, c.code)
			switch c.param {
			case "-":
			case "":
				assert.Nil(t, b["param"])
			default:
				assert.Equal(t, c.param, str(b, "param"))
			}
		})
	}
	t.Run("nothing was created", func(t *testing.T) {
		e := e.at(t)
		refunds, _ := e.list("/v1/refunds?payment_id=" + pid)
		assert.Empty(t, refunds)
	})
	t.Run("missing payment", func(t *testing.T) {
		e := e.at(t)
		e.failParam(e.refund("pay_doesnotexist", nil), 404, "resource_missing", "payment_id")
	})
	t.Run("every reason", func(t *testing.T) {
		e := e.at(t)
		_, p := e.paidOrder(1000)
		for _, reason := range []string{"requested_by_customer", "duplicate", "fraudulent", "other"} {
			r := e.ok(e.refund(str(p, "id"), map[string]any{"amount": 10, "reason": reason}))
			assert.Equal(t, reason, str(e.getRefund(str(r, "id")), "reason"))
		}
	})
	require.NotEmpty(t, pid)
}

func TestValidation_expiresAtWithOffset(t *testing.T) {
	e := start(t)
	e.freeze()
	at := e.now().Add(2 * time.Hour).Truncate(time.Second)
	shanghai := time.FixedZone("CST", 8*3600)
	o := e.orderWith(1000, map[string]any{"expires_at": at.In(shanghai).Format(time.RFC3339)})
	assert.Equal(t, fmtTime(at), str(o, "expires_at"), "any RFC 3339 offset is accepted; responses are UTC")
	assert.Equal(t, fmtTime(at), str(e.getOrder(str(o, "id")), "expires_at"))
}

func TestValidation_bodyLimitBoundary(t *testing.T) {
	e := start(t)
	padded := func(size int) (string, string) {
		mo := unique("mo")
		tail := fmt.Sprintf(`"merchant_order_id":%q,"amount":1000,"currency":"CNY"}`, mo)
		return "{" + strings.Repeat(" ", size-1-len(tail)) + tail, mo
	}
	body, mo := padded(1 << 20)
	require.Len(t, body, 1<<20)
	o := e.ok(e.post("/v1/orders", body))
	assert.Equal(t, mo, str(o, "merchant_order_id"), "exactly 1 MiB is accepted")

	body, mo = padded(1<<20 + 1)
	e.failParam(e.post("/v1/orders", body), 400, "invalid_request", "")
	e.assertNoOrder(mo)
}

func TestValidation_lengthsCountCharacters(t *testing.T) {
	e := start(t)
	t.Run("merchant_order_id 64 characters of 2 bytes", func(t *testing.T) {
		e := e.at(t)
		mo := strings.Repeat("é", 60) + unique("")[1:5]
		require.Equal(t, 64, len([]rune(mo)))
		o := e.ok(e.post("/v1/orders", orderBody(1000, "CNY", map[string]any{"merchant_order_id": mo})))
		assert.Equal(t, mo, str(e.getOrder(str(o, "id")), "merchant_order_id"))
		e.failParam(e.post("/v1/orders", orderBody(1000, "CNY", map[string]any{"merchant_order_id": mo + "é"})),
			400, "invalid_request", "merchant_order_id")
	})
	t.Run("merchant_order_id with a control character", func(t *testing.T) {
		e := e.at(t)
		e.failParam(e.post("/v1/orders", orderBody(1000, "CNY", map[string]any{"merchant_order_id": "a\u0001b"})),
			400, "invalid_request", "merchant_order_id")
	})
	t.Run("metadata in characters", func(t *testing.T) {
		e := e.at(t)
		meta := map[string]any{strings.Repeat("ключ", 10): strings.Repeat("値", 500)}
		o := e.ok(e.post("/v1/orders", orderBody(1000, "CNY", map[string]any{"metadata": meta})))
		assert.Equal(t, meta, obj(e.getOrder(str(o, "id")), "metadata"))
	})
	t.Run("description in characters", func(t *testing.T) {
		e := e.at(t)
		o := e.ok(e.post("/v1/orders", orderBody(1000, "CNY", map[string]any{"description": strings.Repeat("説", 1000)})))
		assert.Equal(t, 1000, len([]rune(str(e.getOrder(str(o, "id")), "description"))))
	})
}
