package acceptance

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// assertPaymentShape checks the fields every payment carries.
func assertPaymentShape(t *testing.T, p map[string]any) {
	t.Helper()
	assert.True(t, strings.HasPrefix(str(p, "id"), "pay_"), "payment id %q", str(p, "id"))
	assert.Equal(t, "payment", str(p, "object"))
	for _, f := range []string{"order_id", "amount", "currency", "method", "status", "failure_code", "failure_message",
		"next_action", "fee", "net", "amount_refunded", "receipt_number", "created_at", "succeeded_at"} {
		assert.Contains(t, p, f, "payment field %s", f)
	}
	assertTime(t, p, "created_at")
}

// assertNoSecrets asserts a raw body never carries a card number or cvc.
func assertNoSecrets(t *testing.T, raw []byte, number string) {
	t.Helper()
	s := string(raw)
	assert.NotContains(t, s, number, "card number in a response")
	assert.NotContains(t, s, `"`+testCVC+`"`, "cvc in a response")
	assert.NotContains(t, s, `"cvc"`, "cvc field in a response")
	assert.NotContains(t, s, `"number"`, "number field in a response")
}

func TestPayments_successfulCards(t *testing.T) {
	e := start(t)
	e.freeze()
	for _, c := range []struct{ number, brand string }{
		{"4242424242424242", "visa"},
		{"5555555555554444", "mastercard"},
		{"6200000000000005", "unionpay"},
		{"2223003122003222", "mastercard"},
		{"378282246310005", "amex"},
		{"6011111111111117", "unknown"},
		{luhn("999999999999999"), "unknown"},
	} {
		t.Run(c.number, func(t *testing.T) {
			e := e.at(t)
			o := e.order(1000)
			oid := str(o, "id")
			r := e.pay(oid, card(c.number))
			p := e.ok(r)
			assertNoSecrets(t, r.raw, c.number)
			assertPaymentShape(t, p)
			assert.Equal(t, "succeeded", str(p, "status"))
			assert.Equal(t, oid, str(p, "order_id"))
			assert.Equal(t, int64(1000), num(p, "amount"))
			assert.Equal(t, "CNY", str(p, "currency"))
			assert.Equal(t, map[string]any{"type": "card", "card": map[string]any{
				"brand": c.brand, "last4": c.number[len(c.number)-4:],
				"exp_month": num(p, "method.card.exp_month"), "exp_year": num(p, "method.card.exp_year"),
			}}, normalise(obj(p, "method")))
			assert.Equal(t, int64(12), num(p, "method.card.exp_month"))
			assert.Equal(t, int64(expYear), num(p, "method.card.exp_year"))
			assert.Equal(t, int64(59), num(p, "fee"), "2.9%% of 1000 + 30")
			assert.Equal(t, int64(941), num(p, "net"))
			assert.Regexp(t, receiptPattern, str(p, "receipt_number"))
			assertNull(t, p, "failure_code", "failure_message", "next_action")
			assertTime(t, p, "succeeded_at")

			gr := e.get("/v1/payments/" + str(p, "id"))
			assert.Equal(t, p, e.ok(gr))
			assertNoSecrets(t, gr.raw, c.number)

			got := e.getOrder(oid)
			assert.Equal(t, "paid", str(got, "status"))
			assert.Equal(t, int64(1000), num(got, "amount_paid"))
			assert.Equal(t, str(p, "id"), str(got, "payment_id"))
			assert.Equal(t, str(p, "succeeded_at"), str(got, "paid_at"))

			ps := e.requireEvent("payment.succeeded", str(p, "id"))
			assert.Equal(t, "succeeded", str(ps, "data.object.status"))
			op := e.requireEvent("order.paid", oid)
			assert.Equal(t, "paid", str(op, "data.object.status"))
			evr := e.get("/v1/events?limit=100")
			assertNoSecrets(t, evr.raw, c.number)
		})
	}
}

// normalise turns json.Number values into int64 so maps compare by value.
func normalise(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		switch x := v.(type) {
		case map[string]any:
			out[k] = normalise(x)
		default:
			if n := num(map[string]any{"v": v}, "v"); n != -1<<63 {
				out[k] = n
			} else {
				out[k] = v
			}
		}
	}
	return out
}

func TestPayments_declinedCards(t *testing.T) {
	e := start(t)
	e.freeze()
	now := e.now()
	lastMonth := now.AddDate(0, -1, 0)
	for _, c := range []struct {
		name, number, decline string
		month, year           int
	}{
		{"generic", "4000000000000002", "generic_decline", 12, expYear},
		{"insufficient funds", "4000000000009995", "insufficient_funds", 12, expYear},
		{"expired card", "4000000000000069", "expired_card", 12, expYear},
		{"incorrect cvc", "4000000000000127", "incorrect_cvc", 12, expYear},
		{"card frozen", "4000000000009987", "card_frozen", 12, expYear},
		{"processing error", "4000000000000119", "processing_error", 12, expYear},
		{"expiry in the past", "4242424242424242", "expired_card", int(lastMonth.Month()), lastMonth.Year()},
		{"expired years ago", "4242424242424242", "expired_card", 1, 2020},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := e.at(t)
			o := e.order(1000)
			oid := str(o, "id")
			r := e.pay(oid, cardExp(c.number, c.month, c.year))
			b := e.fail(r, http.StatusPaymentRequired, "card_declined")
			assertNoSecrets(t, r.raw, c.number)
			assert.Equal(t, c.decline, str(b, "decline_code"))
			assert.Equal(t, oid, str(b, "order_id"))
			pid := str(b, "payment_id")
			require.True(t, strings.HasPrefix(pid, "pay_"), "a decline names its payment: %s", r.raw)

			p := e.getPayment(pid)
			assertPaymentShape(t, p)
			assert.Equal(t, "failed", str(p, "status"))
			assert.Equal(t, c.decline, str(p, "failure_code"))
			assert.NotEmpty(t, str(p, "failure_message"))
			assert.Equal(t, int64(0), num(p, "fee"), "a failed payment moves no money")
			assert.Equal(t, int64(0), num(p, "net"))
			assertNull(t, p, "succeeded_at", "receipt_number")
			assert.Equal(t, c.number[len(c.number)-4:], str(p, "method.card.last4"))

			ev := e.requireEvent("payment.failed", pid)
			assert.Equal(t, "failed", str(ev, "data.object.status"))
			assert.Empty(t, e.eventsFor("payment.succeeded", pid))

			got := e.getOrder(oid)
			assert.Equal(t, "open", str(got, "status"))
			assert.Equal(t, int64(0), num(got, "amount_paid"))
			assertNull(t, got, "payment_id", "paid_at")

			e.fail(e.get("/v1/payments/"+pid+"/receipt"), 409, "receipt_unavailable")

			// The order stays payable.
			ok := e.ok(e.pay(oid, card("4242424242424242")))
			assert.Equal(t, "succeeded", str(ok, "status"))
			assert.Equal(t, "paid", str(e.getOrder(oid), "status"))
			pays, _ := e.list("/v1/payments?order_id=" + oid)
			assert.Equal(t, []string{str(ok, "id"), pid}, ids(pays))
		})
	}
	t.Run("this month is still valid", func(t *testing.T) {
		e := e.at(t)
		o := e.order(1000)
		p := e.ok(e.pay(str(o, "id"), cardExp("4242424242424242", int(now.Month()), now.Year())))
		assert.Equal(t, "succeeded", str(p, "status"))
	})
}

func TestPayments_wallets(t *testing.T) {
	e := start(t)
	for _, provider := range []string{"alipay", "wechat_pay", "paypal", "tokenim_balance"} {
		t.Run(provider, func(t *testing.T) {
			e := e.at(t)
			o := e.order(1050)
			p := e.ok(e.pay(str(o, "id"), wallet(provider)))
			assertPaymentShape(t, p)
			assert.Equal(t, "succeeded", str(p, "status"))
			assert.Equal(t, map[string]any{"type": "wallet", "wallet": map[string]any{"provider": provider}}, obj(p, "method"))
			assert.Equal(t, int64(11), num(p, "fee"), "1%% of 1050 = 10.5 rounds half up")
			assert.Equal(t, int64(1039), num(p, "net"))
			assert.Equal(t, p, e.getPayment(str(p, "id")))
			assert.Equal(t, "paid", str(e.getOrder(str(o, "id")), "status"))
			rc := e.ok(e.get("/v1/payments/" + str(p, "id") + "/receipt"))
			assert.Equal(t, provider, str(rc, "method_summary"))
		})
	}
	t.Run("tokenim_balance ending 51", func(t *testing.T) {
		e := e.at(t)
		o := e.order(1051)
		b := e.fail(e.pay(str(o, "id"), wallet("tokenim_balance")), 402, "card_declined")
		assert.Equal(t, "insufficient_funds", str(b, "decline_code"))
		p := e.getPayment(str(b, "payment_id"))
		assert.Equal(t, "failed", str(p, "status"))
		assert.Equal(t, "insufficient_funds", str(p, "failure_code"))
		e.requireEvent("payment.failed", str(p, "id"))
		assert.Equal(t, "open", str(e.getOrder(str(o, "id")), "status"))
		ok := e.ok(e.pay(str(o, "id"), wallet("alipay")))
		assert.Equal(t, "succeeded", str(ok, "status"), "another wallet pays the same amount")
	})
	t.Run("other wallets ending 51", func(t *testing.T) {
		e := e.at(t)
		for _, provider := range []string{"alipay", "wechat_pay", "paypal"} {
			o := e.order(2051)
			assert.Equal(t, "succeeded", str(e.ok(e.pay(str(o, "id"), wallet(provider))), "status"), provider)
		}
	})
}

func TestPayments_bankTransfer(t *testing.T) {
	e := start(t)
	e.freeze()
	t.Run("settles after an hour", func(t *testing.T) {
		e := e.at(t)
		o := e.orderWith(1300, map[string]any{"expires_at": fmtTime(e.now().Add(3 * time.Hour))})
		p := e.ok(e.pay(str(o, "id"), bank()))
		pid := str(p, "id")
		assertPaymentShape(t, p)
		assert.Equal(t, "processing", str(p, "status"))
		assert.Equal(t, map[string]any{"type": "bank_transfer"}, obj(p, "method"))
		assert.Equal(t, int64(0), num(p, "fee"))
		assert.Equal(t, int64(0), num(p, "net"))
		assertNull(t, p, "succeeded_at", "receipt_number", "failure_code")
		assert.Equal(t, "open", str(e.getOrder(str(o, "id")), "status"))
		e.fail(e.get("/v1/payments/"+pid+"/receipt"), 409, "receipt_unavailable")

		e.advance(59 * time.Minute)
		assert.Equal(t, "processing", str(e.getPayment(pid), "status"))
		assert.Empty(t, e.eventsFor("payment.succeeded", pid))

		e.advance(61 * time.Second)
		got := e.getPayment(pid)
		assert.Equal(t, "succeeded", str(got, "status"))
		assert.Equal(t, int64(7), num(got, "fee"), "0.5%% of 1300 = 6.5 rounds half up")
		assert.Equal(t, int64(1293), num(got, "net"))
		assert.Regexp(t, receiptPattern, str(got, "receipt_number"))
		succeededAt := assertTime(t, got, "succeeded_at")
		created := assertTime(t, got, "created_at")
		assert.GreaterOrEqual(t, succeededAt.Sub(created), time.Hour)
		order := e.getOrder(str(o, "id"))
		assert.Equal(t, "paid", str(order, "status"))
		assert.Equal(t, pid, str(order, "payment_id"))
		assert.Equal(t, int64(1300), num(order, "amount_paid"))
		e.requireEvent("payment.succeeded", pid)
		e.requireEvent("order.paid", str(o, "id"))
		rc := e.ok(e.get("/v1/payments/" + pid + "/receipt"))
		assert.Equal(t, "bank_transfer", str(rc, "method_summary"))
	})
	t.Run("amount ending 13 is returned", func(t *testing.T) {
		e := e.at(t)
		o := e.orderWith(2013, map[string]any{"expires_at": fmtTime(e.now().Add(3 * time.Hour))})
		p := e.ok(e.pay(str(o, "id"), bank()))
		assert.Equal(t, "processing", str(p, "status"))
		e.advance(time.Hour + time.Minute)
		got := e.getPayment(str(p, "id"))
		assert.Equal(t, "failed", str(got, "status"))
		assert.Equal(t, "transfer_returned", str(got, "failure_code"))
		assert.Equal(t, int64(0), num(got, "fee"))
		ev := e.requireEvent("payment.failed", str(p, "id"))
		assert.Equal(t, "transfer_returned", str(ev, "data.object.failure_code"))
		assert.Equal(t, "open", str(e.getOrder(str(o, "id")), "status"))
		ok := e.ok(e.pay(str(o, "id"), wallet("alipay")))
		assert.Equal(t, "succeeded", str(ok, "status"))
	})
}

func TestPayments_guards(t *testing.T) {
	e := start(t)
	e.freeze()
	t.Run("order_already_paid", func(t *testing.T) {
		e := e.at(t)
		o, p := e.paidOrder(1000)
		for _, m := range []map[string]any{card("4242424242424242"), wallet("alipay"), bank()} {
			r := e.pay(str(o, "id"), m)
			b := e.fail(r, 409, "order_already_paid")
			assert.Equal(t, str(p, "id"), str(b, "payment_id"))
		}
		pays, _ := e.list("/v1/payments?order_id=" + str(o, "id"))
		assert.Equal(t, []string{str(p, "id")}, ids(pays), "a 409 creates no payment")
	})
	t.Run("order_already_paid after refund", func(t *testing.T) {
		e := e.at(t)
		o, p := e.paidOrder(1000)
		e.ok(e.refund(str(p, "id"), nil))
		e.advance(6 * time.Minute)
		require.Equal(t, "refunded", str(e.getOrder(str(o, "id")), "status"))
		b := e.fail(e.pay(str(o, "id"), wallet("alipay")), 409, "order_already_paid")
		assert.Equal(t, str(p, "id"), str(b, "payment_id"))
	})
	for _, c := range []struct {
		name   string
		method map[string]any
	}{
		{"processing", bank()},
		{"requires_action", card("4000002760003184")},
	} {
		t.Run("payment_in_progress/"+c.name, func(t *testing.T) {
			e := e.at(t)
			o := e.order(1000)
			p := e.ok(e.pay(str(o, "id"), c.method))
			require.Equal(t, c.name, str(p, "status"))
			b := e.fail(e.pay(str(o, "id"), card("4242424242424242")), 409, "payment_in_progress")
			assert.Equal(t, str(p, "id"), str(b, "payment_id"))
			pays, _ := e.list("/v1/payments?order_id=" + str(o, "id"))
			assert.Equal(t, []string{str(p, "id")}, ids(pays))
			assert.Equal(t, c.name, str(e.getPayment(str(p, "id")), "status"))
		})
	}
	t.Run("already paid wins over expired", func(t *testing.T) {
		e := e.at(t)
		o, p := e.paidOrder(1000)
		e.advance(time.Hour)
		assert.Equal(t, "paid", str(e.getOrder(str(o, "id")), "status"), "a paid order never expires")
		b := e.fail(e.pay(str(o, "id"), wallet("alipay")), 409, "order_already_paid")
		assert.Equal(t, str(p, "id"), str(b, "payment_id"))
	})
}

func TestPayments_otp(t *testing.T) {
	e := start(t)
	e.freeze()
	begin := func(e *env) (orderID, paymentID string) {
		e.t.Helper()
		o := e.order(1000)
		r := e.pay(str(o, "id"), card("4000002760003184"))
		p := e.ok(r)
		assertNoSecrets(e.t, r.raw, "4000002760003184")
		assertPaymentShape(e.t, p)
		require.Equal(e.t, "requires_action", str(p, "status"))
		assert.Equal(e.t, "otp", str(p, "next_action.type"))
		assert.Equal(e.t, int64(0), num(p, "fee"))
		ev := e.requireEvent("payment.requires_action", str(p, "id"))
		assert.Equal(e.t, "requires_action", str(ev, "data.object.status"))
		return str(o, "id"), str(p, "id")
	}
	confirm := func(e *env, pid, otp string) *reply {
		return e.post("/v1/payments/"+pid+"/confirm", map[string]any{"otp": otp})
	}

	t.Run("two wrong codes then the right one", func(t *testing.T) {
		e := e.at(t)
		oid, pid := begin(e)
		for i := 0; i < 2; i++ {
			b := e.fail(confirm(e, pid, "123456"), 402, "authentication_failed")
			assert.Equal(t, pid, str(b, "payment_id"))
			assert.Equal(t, "requires_action", str(e.getPayment(pid), "status"))
		}
		p := e.ok(confirm(e, pid, "000000"))
		assert.Equal(t, "succeeded", str(p, "status"))
		assertNull(t, p, "next_action")
		assert.Equal(t, int64(59), num(p, "fee"))
		got := e.getPayment(pid)
		assert.Equal(t, "succeeded", str(got, "status"))
		order := e.getOrder(oid)
		assert.Equal(t, "paid", str(order, "status"))
		assert.Equal(t, pid, str(order, "payment_id"))
		e.requireEvent("payment.succeeded", pid)
		e.requireEvent("order.paid", oid)

		b := e.fail(confirm(e, pid, "000000"), 409, "payment_unexpected_state")
		assert.Equal(t, pid, str(b, "payment_id"))
	})
	t.Run("three wrong codes fail the payment", func(t *testing.T) {
		e := e.at(t)
		oid, pid := begin(e)
		for i := 0; i < 3; i++ {
			e.fail(confirm(e, pid, "999999"), 402, "authentication_failed")
		}
		p := e.getPayment(pid)
		assert.Equal(t, "failed", str(p, "status"))
		assert.Equal(t, "authentication_failed", str(p, "failure_code"))
		assert.Equal(t, int64(0), num(p, "fee"))
		e.requireEvent("payment.failed", pid)
		e.fail(confirm(e, pid, "000000"), 409, "payment_unexpected_state")
		assert.Equal(t, "failed", str(e.getPayment(pid), "status"), "the right code is too late")
		assert.Equal(t, "open", str(e.getOrder(oid), "status"))
		e.ok(e.pay(oid, wallet("alipay")))
	})
	t.Run("otp missing", func(t *testing.T) {
		e := e.at(t)
		_, pid := begin(e)
		e.failParam(e.post("/v1/payments/"+pid+"/confirm", map[string]any{}), 400, "invalid_request", "otp")
		e.failParam(e.post("/v1/payments/"+pid+"/confirm", nil), 400, "invalid_request", "otp")
		e.fail(e.post("/v1/payments/"+pid+"/confirm", map[string]any{"otp": "000000", "x": 1}), 400, "parameter_unknown")
		assert.Equal(t, "requires_action", str(e.getPayment(pid), "status"))
	})
	t.Run("confirm on a non-otp payment", func(t *testing.T) {
		e := e.at(t)
		_, p := e.paidOrder(1000)
		e.fail(confirm(e, str(p, "id"), "000000"), 409, "payment_unexpected_state")
		e.fail(confirm(e, "pay_doesnotexist", "000000"), 404, "resource_missing")
	})
}

func TestPayments_cancel(t *testing.T) {
	e := start(t)
	e.freeze()
	for _, c := range []struct {
		name   string
		method map[string]any
	}{
		{"processing", bank()},
		{"requires_action", card("4000002760003184")},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := e.at(t)
			o := e.order(1000)
			p := e.ok(e.pay(str(o, "id"), c.method))
			require.Equal(t, c.name, str(p, "status"))
			cp := e.ok(e.post("/v1/payments/"+str(p, "id")+"/cancel", nil))
			assert.Equal(t, "canceled", str(cp, "status"))
			got := e.getPayment(str(p, "id"))
			assert.Equal(t, "canceled", str(got, "status"))
			assert.Equal(t, int64(0), num(got, "fee"))
			assert.Equal(t, int64(0), num(got, "net"))
			ev := e.requireEvent("payment.canceled", str(p, "id"))
			assert.Equal(t, "canceled", str(ev, "data.object.status"))
			assert.Equal(t, "open", str(e.getOrder(str(o, "id")), "status"))

			e.fail(e.post("/v1/payments/"+str(p, "id")+"/cancel", nil), 409, "payment_unexpected_state")
			// A canceled transfer never settles.
			e.advance(2 * time.Hour)
			assert.Equal(t, "canceled", str(e.getPayment(str(p, "id")), "status"))
			assert.Empty(t, e.eventsFor("payment.succeeded", str(p, "id")))
		})
	}
	t.Run("then pay again", func(t *testing.T) {
		e := e.at(t)
		o := e.orderWith(1000, map[string]any{"expires_at": fmtTime(e.now().Add(2 * time.Hour))})
		p := e.ok(e.pay(str(o, "id"), bank()))
		e.ok(e.post("/v1/payments/"+str(p, "id")+"/cancel", nil))
		e.ok(e.pay(str(o, "id"), card("4242424242424242")))
		assert.Equal(t, "paid", str(e.getOrder(str(o, "id")), "status"))
	})
	t.Run("succeeded", func(t *testing.T) {
		e := e.at(t)
		o, p := e.paidOrder(1000)
		b := e.fail(e.post("/v1/payments/"+str(p, "id")+"/cancel", nil), 409, "payment_unexpected_state")
		assert.Equal(t, str(p, "id"), str(b, "payment_id"))
		assert.Equal(t, "succeeded", str(e.getPayment(str(p, "id")), "status"))
		assert.Equal(t, "paid", str(e.getOrder(str(o, "id")), "status"))
	})
	t.Run("failed", func(t *testing.T) {
		e := e.at(t)
		o := e.order(1000)
		b := e.fail(e.pay(str(o, "id"), card("4000000000000002")), 402, "card_declined")
		e.fail(e.post("/v1/payments/"+str(b, "payment_id")+"/cancel", nil), 409, "payment_unexpected_state")
	})
	t.Run("unknown", func(t *testing.T) {
		e := e.at(t)
		e.fail(e.post("/v1/payments/pay_doesnotexist/cancel", nil), 404, "resource_missing")
	})
}

func TestPayments_fees(t *testing.T) {
	for _, c := range []struct {
		name     string
		method   map[string]any
		amount   int64
		fee      int64
		settleBy time.Duration
	}{
		{"card 1000 exact", card("4242424242424242"), 1000, 29 + 30, 0},
		{"card 500 .5 up", card("4242424242424242"), 500, 15 + 30, 0},      // 14.5
		{"card 1500 .5 up", card("4242424242424242"), 1500, 44 + 30, 0},    // 43.5
		{"card 1510 .79 up", card("4242424242424242"), 1510, 44 + 30, 0},   // 43.79
		{"card 1010 .29 down", card("4242424242424242"), 1010, 29 + 30, 0}, // 29.29
		{"card 1 capped at amount", card("4242424242424242"), 1, 1, 0},     // 0 + 30 > 1
		{"card 30 capped at amount", card("4242424242424242"), 30, 30, 0},  // 0.87→1 + 30 > 30
		{"card 40 just over", card("4242424242424242"), 40, 31, 0},         // 1.16→1 + 30
		{"wallet 150 .5 up", wallet("paypal"), 150, 2, 0},                  // 1.5
		{"wallet 1049 .49 down", wallet("paypal"), 1049, 10, 0},            // 10.49
		{"wallet 49 rounds to 0", wallet("wechat_pay"), 49, 0, 0},          // 0.49
		{"wallet 50 rounds to 1", wallet("wechat_pay"), 50, 1, 0},          // 0.5
		{"wallet max", wallet("alipay"), 99_999_999_999, 1_000_000_000, 0}, // 999999999.99
		{"bank 100 .5 up", bank(), 100, 1, time.Hour + time.Minute},        // 0.5
		{"bank 300 .5 up", bank(), 300, 2, time.Hour + time.Minute},        // 1.5
		{"bank 1099 .495 down", bank(), 1099, 5, time.Hour + time.Minute},  // 5.495
		{"bank 99 rounds to 0", bank(), 99, 0, time.Hour + time.Minute},    // 0.495
	} {
		t.Run(c.name, func(t *testing.T) {
			e := start(t)
			e.freeze()
			o := e.order(c.amount)
			p := e.ok(e.pay(str(o, "id"), c.method))
			if c.settleBy > 0 {
				e.advance(c.settleBy)
			}
			got := e.getPayment(str(p, "id"))
			require.Equal(t, "succeeded", str(got, "status"))
			assert.Equal(t, c.fee, num(got, "fee"))
			assert.Equal(t, c.amount-c.fee, num(got, "net"))
			rc := e.ok(e.get("/v1/payments/" + str(p, "id") + "/receipt"))
			assert.Equal(t, c.fee, num(rc, "fee"))
		})
	}
}

func TestPayments_receipt(t *testing.T) {
	e := start(t)
	e.freeze()
	o, p := e.paidOrder(2500)
	pid := str(p, "id")
	r := e.get("/v1/payments/" + pid + "/receipt")
	rc := e.ok(r)
	assertNoSecrets(t, r.raw, "4242424242424242")
	assert.Equal(t, "receipt", str(rc, "object"))
	assert.Equal(t, str(p, "receipt_number"), str(rc, "receipt_number"))
	assert.Regexp(t, receiptPattern, str(rc, "receipt_number"))
	assert.Equal(t, pid, str(rc, "payment_id"))
	assert.Equal(t, str(o, "id"), str(rc, "order_id"))
	assert.Equal(t, str(o, "merchant_order_id"), str(rc, "merchant_order_id"))
	assert.Equal(t, int64(2500), num(rc, "amount"))
	assert.Equal(t, "CNY", str(rc, "currency"))
	assert.Equal(t, int64(103), num(rc, "fee"), "72.5 rounds up, plus 30")
	assert.Equal(t, "visa •••• 4242", str(rc, "method_summary"))
	assert.Equal(t, str(p, "succeeded_at"), str(rc, "paid_at"))
	date := assertTime(t, rc, "paid_at").Format("20060102")
	assert.True(t, strings.HasPrefix(str(rc, "receipt_number"), "RCPT-"+date+"-"), "receipt number carries the date")

	t.Run("numbers are sequential per merchant", func(t *testing.T) {
		e := e.at(t)
		_, p2 := e.paidOrder(100)
		n1, n2 := str(p, "receipt_number"), str(p2, "receipt_number")
		require.Len(t, n1, len("RCPT-20060102-000001"))
		require.Len(t, n2, len(n1))
		assert.NotEqual(t, n1, n2)
		assert.Greater(t, n2[14:], n1[14:])
	})
	t.Run("mastercard summary", func(t *testing.T) {
		e := e.at(t)
		o := e.order(100)
		p := e.ok(e.pay(str(o, "id"), card("5555555555554444")))
		assert.Equal(t, "mastercard •••• 4444", str(e.ok(e.get("/v1/payments/"+str(p, "id")+"/receipt")), "method_summary"))
	})
	t.Run("unavailable before success", func(t *testing.T) {
		e := e.at(t)
		o := e.order(100)
		p := e.ok(e.pay(str(o, "id"), card("4000002760003184")))
		b := e.fail(e.get("/v1/payments/"+str(p, "id")+"/receipt"), 409, "receipt_unavailable")
		assert.Equal(t, str(p, "id"), str(b, "payment_id"), "the problem names the payment")
		e.ok(e.post("/v1/payments/"+str(p, "id")+"/confirm", map[string]any{"otp": "000000"}))
		rc := e.ok(e.get("/v1/payments/" + str(p, "id") + "/receipt"))
		assert.Equal(t, "visa •••• 3184", str(rc, "method_summary"))
	})
	t.Run("unknown payment", func(t *testing.T) {
		e := e.at(t)
		e.fail(e.get("/v1/payments/pay_doesnotexist/receipt"), 404, "resource_missing")
	})
}

func TestPayments_list(t *testing.T) {
	e := start(t)
	e.freeze()
	o1 := e.order(1000)
	failed := e.fail(e.pay(str(o1, "id"), card("4000000000000002")), 402, "card_declined")
	ok1 := e.ok(e.pay(str(o1, "id"), card("4242424242424242")))
	o2 := e.order(1000)
	proc := e.ok(e.pay(str(o2, "id"), bank()))

	all, hasMore := e.list("/v1/payments")
	assert.Equal(t, []string{str(proc, "id"), str(ok1, "id"), str(failed, "payment_id")}, ids(all))
	assert.False(t, hasMore)
	for _, p := range all {
		assertPaymentShape(t, p)
	}
	byOrder, _ := e.list("/v1/payments?order_id=" + str(o1, "id"))
	assert.Equal(t, []string{str(ok1, "id"), str(failed, "payment_id")}, ids(byOrder))
	for status, want := range map[string]string{"failed": str(failed, "payment_id"), "succeeded": str(ok1, "id"), "processing": str(proc, "id")} {
		data, _ := e.list("/v1/payments?status=" + status)
		assert.Equal(t, []string{want}, ids(data), status)
	}
	page, more := e.list("/v1/payments?limit=2")
	assert.Len(t, page, 2)
	assert.True(t, more)
	rest, more := e.list("/v1/payments?limit=2&starting_after=" + str(page[1], "id"))
	assert.Equal(t, []string{str(failed, "payment_id")}, ids(rest))
	assert.False(t, more)
}

func TestPayments_cardValidThroughEndOfExpiryMonth(t *testing.T) {
	e := start(t)
	e.freeze()
	now := e.now().UTC()
	nextMonth := time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, time.UTC)
	m, y := int(now.Month()), now.Year()

	e.advance(nextMonth.Sub(now) - time.Second) // last second of the expiry month
	o := e.order(1000)
	p := e.ok(e.pay(str(o, "id"), cardExp("4242424242424242", m, y)))
	assert.Equal(t, "succeeded", str(p, "status"))

	e.advance(time.Second) // first second of the next month
	o = e.order(1000)
	b := e.fail(e.pay(str(o, "id"), cardExp("4242424242424242", m, y)), 402, "card_declined")
	assert.Equal(t, "expired_card", str(b, "decline_code"))
}

func TestPayments_platformGuardsAgainstPayingTwice(t *testing.T) {
	e := start(t)
	const n = 16
	o := e.order(1000)
	var wg sync.WaitGroup
	gate := make(chan struct{})
	statuses := make([]int, n)
	codes := make([]string, n)
	reqs := make([]*http.Request, n)
	for i := range reqs {
		// Different keys: idempotency cannot help, only the order's own guard.
		reqs[i] = e.newRequest("POST", "/v1/payments", map[string]any{"order_id": str(o, "id"), "method": wallet("alipay")}, key(unique("key")))
	}
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-gate
			r, err := e.send(e.hc, reqs[i])
			if assert.NoError(t, err) {
				statuses[i], codes[i] = r.status, str(r.body, "code")
			}
		}(i)
	}
	close(gate)
	wg.Wait()
	ok := 0
	for i, s := range statuses {
		if s == 200 {
			ok++
			continue
		}
		assert.Equal(t, 409, s)
		assert.Contains(t, []string{"order_already_paid", "payment_in_progress"}, codes[i])
	}
	assert.Equal(t, 1, ok, "exactly one payment succeeds")
	pays, _ := e.list("/v1/payments?order_id=" + str(o, "id"))
	assert.Len(t, pays, 1, "409 rejections create no payment")
	assert.Len(t, e.eventsFor("order.paid", str(o, "id")), 1)
}

func TestPayments_settlementBoundaries(t *testing.T) {
	e := start(t)
	e.freeze()
	o := e.orderWith(1000, map[string]any{"expires_at": fmtTime(e.now().Add(3 * time.Hour))})
	p := e.ok(e.pay(str(o, "id"), bank()))
	e.advance(time.Hour - time.Second)
	assert.Equal(t, "processing", str(e.getPayment(str(p, "id")), "status"))
	e.advance(time.Second)
	assert.Equal(t, "succeeded", str(e.getPayment(str(p, "id")), "status"), "settled 1 h later")

	rf := e.ok(e.refund(str(p, "id"), nil))
	e.advance(5*time.Minute - time.Second)
	assert.Equal(t, "pending", str(e.getRefund(str(rf, "id")), "status"))
	e.advance(time.Second)
	assert.Equal(t, "succeeded", str(e.getRefund(str(rf, "id")), "status"), "settled 5 min later")
}

func TestPayments_timersRunAtTheirSandboxTime(t *testing.T) {
	e := start(t)
	e.freeze()
	o := e.orderWith(1000, map[string]any{"expires_at": fmtTime(e.now().Add(3 * time.Hour))})
	p := e.ok(e.pay(str(o, "id"), bank()))
	late := e.order(100)
	// One big jump: each timer must still happen at its own time, not at the end of the jump.
	e.advance(2 * time.Hour)
	got := e.getPayment(str(p, "id"))
	assert.Equal(t, assertTime(t, got, "created_at").Add(time.Hour), assertTime(t, got, "succeeded_at"),
		"a transfer settles exactly 1 h after it was made")
	assert.Equal(t, str(got, "succeeded_at"), str(e.getOrder(str(o, "id")), "paid_at"))
	ev := e.requireEvent("payment.succeeded", str(p, "id"))
	assert.Equal(t, str(got, "succeeded_at"), str(ev, "created_at"))
	exp := e.requireEvent("order.expired", str(late, "id"))
	assert.Equal(t, str(late, "expires_at"), str(exp, "created_at"), "an order expires at its expires_at")

	rf := e.ok(e.refund(str(p, "id"), nil))
	e.advance(time.Hour)
	r := e.getRefund(str(rf, "id"))
	assert.Equal(t, assertTime(t, r, "created_at").Add(5*time.Minute), assertTime(t, r, "succeeded_at"),
		"a refund succeeds exactly 5 min after it was made")
}
