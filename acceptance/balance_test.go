package acceptance

import (
	"bytes"
	"encoding/csv"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The rules of docs/tokenim-api.md §9: balance transactions, the balance,
// daily settlements and their statements.

// toDayStart freezes the clock and moves it to 01:00 UTC of the next day, so
// a test knows which midnights its transactions meet. It returns that time.
func (e *env) toDayStart() time.Time {
	e.t.Helper()
	e.freeze()
	now := e.now()
	next := now.UTC().Truncate(24 * time.Hour).Add(25 * time.Hour)
	e.advance(next.Sub(now).Round(time.Second))
	return e.now().Truncate(time.Second)
}

// txns lists every balance transaction matching query, newest first.
func (e *env) txns(query string) []map[string]any {
	e.t.Helper()
	var out []map[string]any
	path := "/v1/balance_transactions?limit=100"
	if query != "" {
		path += "&" + query
	}
	for {
		data, more := e.list(path)
		out = append(out, data...)
		if !more {
			return out
		}
		path = "/v1/balance_transactions?limit=100&starting_after=" + str(data[len(data)-1], "id")
		if query != "" {
			path += "&" + query
		}
	}
}

func (e *env) settlements() []map[string]any {
	e.t.Helper()
	data, more := e.list("/v1/settlements?limit=100")
	require.False(e.t, more)
	return data
}

// balance returns available and pending per currency.
func (e *env) balance() (available, pending map[string]int64) {
	e.t.Helper()
	b := e.ok(e.get("/v1/balance"))
	assert.Equal(e.t, "balance", str(b, "object"))
	read := func(k string) map[string]int64 {
		out := map[string]int64{}
		for _, x := range b[k].([]any) {
			a := x.(map[string]any)
			out[str(a, "currency")] = num(a, "amount")
		}
		return out
	}
	return read("available"), read("pending")
}

// paidIn creates an order in currency and pays it with method.
func (e *env) paidIn(amount int64, currency string, method map[string]any) (order, payment map[string]any) {
	e.t.Helper()
	order = e.ok(e.post("/v1/orders", orderBody(amount, currency, nil)))
	payment = e.ok(e.pay(str(order, "id"), method))
	return order, payment
}

func assertTxnShape(t *testing.T, x map[string]any) {
	t.Helper()
	assert.True(t, strings.HasPrefix(str(x, "id"), "txn_"), "id %q", str(x, "id"))
	assert.Equal(t, "balance_transaction", str(x, "object"))
	for _, f := range []string{"type", "source", "order_id", "amount", "fee", "net", "currency", "available_on", "settlement_id", "created_at"} {
		assert.Contains(t, x, f)
	}
	created := assertTime(t, x, "created_at")
	assert.Equal(t, created.Add(86400*time.Second), assertTime(t, x, "available_on"), "available_on = created_at + 86 400 s")
	assert.Equal(t, num(x, "amount")-num(x, "fee"), num(x, "net"), "net = amount - fee")
	assert.GreaterOrEqual(t, num(x, "fee"), int64(0))
}

// A succeeded payment adds +amount with its §5 fee, a succeeded refund
// -amount with fee 0; failed payments and refunds move nothing.
func TestBalance_transactionsPerMovement(t *testing.T) {
	e := start(t)
	e.toDayStart()
	_, cardPay := e.paidIn(10000, "CNY", card("4242424242424242"))
	_, wal := e.paidIn(10050, "CNY", wallet("alipay"))
	e.fail(e.pay(str(e.order(500), "id"), card("4000000000000002")), 402, "card_declined")
	bankOrder := e.order(20000)
	bankPay := e.ok(e.pay(str(bankOrder, "id"), bank()))
	refund := e.ok(e.refund(str(cardPay, "id"), map[string]any{"amount": 2500}))
	failing := e.ok(e.refund(str(wal, "id"), map[string]any{"amount": 113})) // §6: …13 fails
	assert.Empty(t, e.txns("source="+str(bankPay, "id")), "a processing transfer moves nothing yet")
	e.advance(time.Hour)

	byType := func(typ, source string) map[string]any {
		got := e.txns("type=" + typ + "&source=" + source)
		require.Len(t, got, 1, "%s %s", typ, source)
		assertTxnShape(t, got[0])
		assertNull(t, got[0], "settlement_id")
		return got[0]
	}
	for _, c := range []struct {
		pay      map[string]any
		amount   int64
		fee      int64
		currency string
	}{
		{cardPay, 10000, 320, "CNY"}, // 2.9 % + 30
		{wal, 10050, 101, "CNY"},     // 1.0 % of 10 050 = 100.5, half up
		{bankPay, 20000, 100, "CNY"}, // 0.5 %
	} {
		id := str(c.pay, "id")
		x := byType("payment", id)
		assert.Equal(t, []any{c.amount, c.fee, c.currency, str(e.getPayment(id), "order_id")},
			[]any{num(x, "amount"), num(x, "fee"), str(x, "currency"), str(x, "order_id")}, "payment %s", id)
		assert.Equal(t, num(e.getPayment(id), "fee"), num(x, "fee"), "the payment's own fee")
	}
	r := byType("refund", str(refund, "id"))
	assert.Equal(t, []any{int64(-2500), int64(0), int64(-2500), str(cardPay, "order_id")},
		[]any{num(r, "amount"), num(r, "fee"), num(r, "net"), str(r, "order_id")})
	assert.Equal(t, "failed", str(e.getRefund(str(failing, "id")), "status"))
	assert.Empty(t, e.txns("source="+str(failing, "id")), "a failed refund moves nothing")
	assert.Len(t, e.txns(""), 4, "three payments and one refund; the declined payment moves nothing")

	one := e.txns("type=refund")[0]
	assert.Equal(t, one, e.ok(e.get("/v1/balance_transactions/"+str(one, "id"))))
	e.fail(e.get("/v1/balance_transactions/txn_missing"), 404, "resource_missing")
}

func TestBalance_listFilters(t *testing.T) {
	e := start(t)
	day := e.toDayStart()
	_, p1 := e.paidOrder(1000)
	e.advance(time.Hour)
	_, p2 := e.paidOrder(2000)
	rf := e.ok(e.refund(str(p2, "id"), map[string]any{"amount": 500}))
	e.advance(10 * time.Minute)

	all := e.txns("")
	require.Len(t, all, 3)
	assert.Equal(t, str(rf, "id"), str(all[0], "source"), "newest first")
	assert.Equal(t, str(p1, "id"), str(all[2], "source"))
	q := func(k string, v time.Time) string { return k + "=" + url.QueryEscape(v.Format(time.RFC3339)) }
	assert.Len(t, e.txns(q("created_gte", day.Add(time.Hour))), 2, "created_gte is inclusive")
	assert.Len(t, e.txns(q("created_lt", day.Add(time.Hour))), 1, "created_lt is exclusive")
	assert.Len(t, e.txns(q("created_gte", day)+"&"+q("created_lt", day.Add(time.Second))), 1)
	assert.Len(t, e.txns("created_gte="+url.QueryEscape(day.In(time.FixedZone("CST", 8*3600)).Format(time.RFC3339))), 3, "any offset")
	assert.Len(t, e.txns("type=payment"), 2)
	assert.Empty(t, e.txns("type=dispute"))
	assert.Empty(t, e.txns("settlement_id=st_none"))

	page, more := e.list("/v1/balance_transactions?limit=1")
	require.True(t, more)
	next, _ := e.list("/v1/balance_transactions?limit=1&starting_after=" + str(page[0], "id"))
	assert.Equal(t, str(all[1], "id"), str(next[0], "id"))

	e.failParam(e.get("/v1/balance_transactions?type=payout"), 400, "invalid_request", "type")
	e.failParam(e.get("/v1/balance_transactions?created_gte=yesterday"), 400, "invalid_request", "created_gte")
	e.failParam(e.get("/v1/balance_transactions?created_lt=1700000000"), 400, "invalid_request", "created_lt")
}

// The balance is the unsettled nets: pending until available_on, available
// after, per currency; settled money leaves it.
func TestBalance_pendingAvailableSettled(t *testing.T) {
	e := start(t)
	e.toDayStart() // D 01:00
	e.paidOrder(10000)
	e.paidIn(1000, "JPY", card("4242424242424242")) // ¥: 29+30 = 59
	avail, pend := e.balance()
	assert.Equal(t, map[string]int64{"CNY": 0, "JPY": 0}, avail)
	assert.Equal(t, map[string]int64{"CNY": 9680, "JPY": 941}, pend)

	e.advance(24*time.Hour - time.Second) // D+1 00:59:59: midnight passed, nothing available yet
	assert.Empty(t, e.settlements(), "nothing was available at D+1 00:00")
	avail, pend = e.balance()
	assert.Equal(t, map[string]int64{"CNY": 0, "JPY": 0}, avail)
	assert.Equal(t, map[string]int64{"CNY": 9680, "JPY": 941}, pend, "still pending one second before available_on")
	e.advance(time.Second) // D+1 01:00: available
	avail, pend = e.balance()
	assert.Equal(t, map[string]int64{"CNY": 9680, "JPY": 941}, avail)
	assert.Equal(t, map[string]int64{"CNY": 0, "JPY": 0}, pend)

	e.advance(23 * time.Hour) // D+2 00:00 settles both currencies
	avail, _ = e.balance()
	assert.Equal(t, map[string]int64{"CNY": 0, "JPY": 0}, avail, "settled money leaves the balance")
	st := e.settlements()
	require.Len(t, st, 2)
	got := map[string]int64{}
	for _, s := range st {
		got[str(s, "currency")] = num(s, "amount")
	}
	assert.Equal(t, map[string]int64{"CNY": 9680, "JPY": 941}, got)
}

// At each 00:00 UTC, per currency, the available unsettled transactions are
// settled when their nets sum above 0, else carried over; a clock moved
// several days settles day by day; each settlement emits settlement.paid and
// stamps its transactions.
func TestSettlements_dailyPerCurrencyWithCarryOver(t *testing.T) {
	e := start(t)
	day := e.toDayStart().Truncate(24 * time.Hour) // D 00:00; now D 01:00
	_, cny := e.paidOrder(5000)
	_, kwd := e.paidIn(12345, "KWD", wallet("paypal"))        // 3 decimals: fee 123
	_, jpy := e.paidIn(3000, "JPY", card("4242424242424242")) // 0 decimals: fee 117
	e.advance(2 * time.Hour)
	e.ok(e.refund(str(jpy, "id"), nil)) // -3000: JPY nets -117 from D+1 03:00 on
	e.advance(5 * time.Minute)

	e.advance(4 * 24 * time.Hour) // through D+1 … D+4 00:00 in one move
	st := e.settlements()
	require.Len(t, st, 2, "CNY and KWD settle at D+2 00:00; JPY sums to -117 and carries over: %v", st)
	for _, s := range st {
		assert.True(t, strings.HasPrefix(str(s, "id"), "st_"))
		assert.Equal(t, "settlement", str(s, "object"))
		assert.Equal(t, "paid", str(s, "status"))
		assert.Equal(t, day.Add(48*time.Hour), assertTime(t, s, "period_end"))
		assert.Equal(t, day.Add(48*time.Hour), assertTime(t, s, "created_at"))
		assert.Equal(t, int64(1), num(s, "transaction_count"))
		ev := e.requireEvent("settlement.paid", str(s, "id"))
		assert.Equal(t, num(s, "amount"), num(ev, "data.object.amount"))
		assert.Equal(t, s, e.ok(e.get("/v1/settlements/"+str(s, "id"))))
		stamped := e.txns("settlement_id=" + str(s, "id"))
		require.Len(t, stamped, 1)
		assert.Equal(t, str(s, "id"), str(stamped[0], "settlement_id"))
		assert.Equal(t, num(s, "amount"), num(stamped[0], "net"))
	}
	amounts := map[string]int64{}
	for _, s := range st {
		amounts[str(s, "currency")] = num(s, "amount")
	}
	assert.Equal(t, map[string]int64{"CNY": 4825, "KWD": 12222}, amounts)
	for _, x := range e.txns("source=" + str(jpy, "id")) {
		assertNull(t, x, "settlement_id")
	}
	avail, _ := e.balance()
	assert.Equal(t, int64(-117), avail["JPY"], "carried over, still in the balance")

	// A later JPY payment lifts the sum above 0: all three settle together.
	e.paidIn(1000, "JPY", wallet("alipay")) // net 990
	e.advance(2 * 24 * time.Hour)
	var jpySt []map[string]any
	for _, s := range e.settlements() {
		if str(s, "currency") == "JPY" {
			jpySt = append(jpySt, s)
		}
	}
	require.Len(t, jpySt, 1)
	assert.Equal(t, int64(990-117), num(jpySt[0], "amount"))
	assert.Equal(t, int64(3), num(jpySt[0], "transaction_count"))
	e.fail(e.get("/v1/settlements/st_missing"), 404, "resource_missing")
	_, _ = cny, kwd
}

// The statement: text/csv (RFC 4180) with the exact header, one row per
// transaction oldest first, minor-unit integers, nets summing to the amount.
func TestSettlements_report(t *testing.T) {
	e := start(t)
	e.toDayStart()
	o1 := e.orderWith(1999, map[string]any{"merchant_order_id": unique(`A-1, "window"`)}) // RFC 4180 quoting
	p1 := e.ok(e.pay(str(o1, "id"), card("4242424242424242")))
	o2, p2 := e.paidOrder(5000)
	rf := e.ok(e.refund(str(p2, "id"), map[string]any{"amount": 1000}))
	e.advance(3 * 24 * time.Hour)
	st := e.settlements()
	require.Len(t, st, 1)
	s := st[0]

	r := e.get("/v1/settlements/" + str(s, "id") + "/report")
	require.Equal(t, 200, r.status, "%s", r.raw)
	assert.Equal(t, "text/csv; charset=utf-8", r.header.Get("Content-Type"))
	e.checkCommon(r)
	assert.True(t, bytes.HasSuffix(r.raw, []byte("\r\n")), "RFC 4180 lines end in CRLF")
	assert.Contains(t, string(r.raw), `,"A-1, ""window""`, "a field with a comma or a quote is quoted, its quotes doubled")
	rows, err := csv.NewReader(bytes.NewReader(r.raw)).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 4)
	assert.Equal(t, []string{"balance_transaction_id", "type", "source", "order_id", "merchant_order_id",
		"amount", "fee", "net", "currency", "created_at"}, rows[0])
	want := [][]string{
		{"payment", str(p1, "id"), str(o1, "id"), str(o1, "merchant_order_id"), "1999", "88", "1911", "CNY"},
		{"payment", str(p2, "id"), str(o2, "id"), str(o2, "merchant_order_id"), "5000", "175", "4825", "CNY"},
		{"refund", str(rf, "id"), str(o2, "id"), str(o2, "merchant_order_id"), "-1000", "0", "-1000", "CNY"},
	}
	var sum int64
	for i, row := range rows[1:] {
		assert.Equal(t, want[i], row[1:9], "row %d, oldest first", i+1)
		x := e.ok(e.get("/v1/balance_transactions/" + row[0]))
		assert.Equal(t, str(x, "created_at"), row[9])
		n, err := strconv.ParseInt(row[7], 10, 64)
		require.NoError(t, err)
		sum += n
	}
	assert.Equal(t, num(s, "amount"), sum, "the net column sums to the settlement's amount")
	assert.Equal(t, int64(3), num(s, "transaction_count"))
	e.fail(e.get("/v1/settlements/st_missing/report"), 404, "resource_missing")
}

// Per currency, settlements + available + pending = the sum of all nets.
func TestSettlements_conservation(t *testing.T) {
	e := start(t)
	e.toDayStart()
	for i, cur := range []string{"CNY", "JPY", "KWD", "USD"} {
		_, p := e.paidIn(int64(1000+i*777), cur, card("4242424242424242"))
		e.advance(7 * time.Hour)
		e.ok(e.refund(str(p, "id"), map[string]any{"amount": 100 + i}))
		e.advance(11 * time.Hour)
	}
	e.advance(30 * time.Hour)
	nets, _ := e.assertConservation()
	assert.Len(t, nets, 4)
}

// assertConservation checks, per currency, settlements + available +
// pending = the sum of every transaction's net (docs/tokenim-api.md §9), and
// returns the nets and the settled totals.
func (e *env) assertConservation() (nets, settled map[string]int64) {
	e.t.Helper()
	nets, settled = map[string]int64{}, map[string]int64{}
	for _, x := range e.txns("") {
		nets[str(x, "currency")] += num(x, "net")
	}
	for _, s := range e.settlements() {
		settled[str(s, "currency")] += num(s, "amount")
	}
	avail, pend := e.balance()
	for cur, n := range nets {
		assert.Equal(e.t, n, settled[cur]+avail[cur]+pend[cur], cur)
	}
	return nets, settled
}

func TestBalance_merchantIsolationAndReset(t *testing.T) {
	e := start(t)
	e.toDayStart()
	e.paidOrder(1000)
	other := e.newMerchant()
	b := e.ok(e.get("/v1/balance", asMerchant(other)))
	assert.Empty(t, b["available"], "another merchant sees none of it")
	data, _ := e.list("/v1/balance_transactions", asMerchant(other))
	assert.Empty(t, data)

	e.advance(3 * 24 * time.Hour)
	require.Len(t, e.settlements(), 1)
	e.control("POST", "/_sandbox/reset", nil)
	assert.Empty(t, e.txns(""))
	assert.Empty(t, e.settlements())
	avail, pend := e.balance()
	assert.Empty(t, avail)
	assert.Empty(t, pend)
	// Settlement keeps running after a reset.
	e.paidOrder(1000)
	e.advance(3 * 24 * time.Hour)
	assert.Len(t, e.settlements(), 1)
}

// An opened dispute adds -amount with the dispute fee (1500 minor units in
// every currency); a won one adds +amount with fee 0; a lost one adds
// nothing more; the balance may go negative and the law still holds.
func TestBalance_disputeMovements(t *testing.T) {
	e := start(t)
	e.toDayStart()
	_, won := e.paidIn(5000, "CNY", card("4242424242424242"))       // net 4825
	_, lost := e.paidIn(20000, "KWD", card("4242424242424242"))     // fee 610, net 19390
	e.ok(e.refund(str(lost, "id"), map[string]any{"amount": 4000})) // the dispute takes what is left
	e.advance(10 * time.Minute)
	dWon := e.openDispute(str(won, "id"), "fraudulent")
	dLost := e.openDispute(str(lost, "id"), "duplicate")

	opened := e.txns("type=dispute&source=" + str(dWon, "id"))
	require.Len(t, opened, 1)
	assertTxnShape(t, opened[0])
	assert.Equal(t, []int64{-5000, 1500, -6500}, []int64{num(opened[0], "amount"), num(opened[0], "fee"), num(opened[0], "net")})
	assert.Equal(t, str(won, "order_id"), str(opened[0], "order_id"))
	kwd := e.txns("type=dispute&source=" + str(dLost, "id"))
	require.Len(t, kwd, 1)
	assert.Equal(t, []int64{-16000, 1500, -17500}, []int64{num(kwd[0], "amount"), num(kwd[0], "fee"), num(kwd[0], "net")},
		"1.500 KWD: the fee is 1500 minor units whatever the exponent")
	_, pend := e.balance()
	assert.Equal(t, int64(4825-6500), pend["CNY"], "the balance goes negative")

	e.ok(e.evidence(str(dWon, "id"), map[string]any{"uncategorized_text": "delivered, signed for"}, true))
	e.ok(e.post("/v1/disputes/"+str(dLost, "id")+"/accept", nil))
	e.advance(24*time.Hour + time.Minute) // the submitted dispute is decided after a day
	require.Equal(t, "won", str(e.getDispute(str(dWon, "id")), "status"))
	back := e.txns("type=dispute_reversal")
	require.Len(t, back, 1, "only the won dispute returns money")
	assert.Equal(t, str(dWon, "id"), str(back[0], "source"))
	assert.Equal(t, []int64{5000, 0, 5000}, []int64{num(back[0], "amount"), num(back[0], "fee"), num(back[0], "net")})

	e.advance(3 * 24 * time.Hour)
	_, total := e.assertConservation()
	avail, _ := e.balance()
	assert.Equal(t, int64(4825-6500+5000), total["CNY"], "everything CNY settles once the reversal lifts it above 0")
	assert.Equal(t, int64(19390-4000-17500), avail["KWD"], "KWD stays negative: carried over, never settled")
	assert.Zero(t, total["KWD"])
}
