package tokenim

import (
	"strconv"
	"strings"
)

// FormatAmount writes amount minor units of currency as a decimal: 1999 CNY
// is "CNY 19.99", 500 JPY "JPY 500", 1250 KWD "KWD 1.250"
// (docs/tokenim-api.md §1: JPY has no minor unit, KWD three, the other
// supported currencies two). The String methods of resources use it.
func FormatAmount(amount int64, currency Currency) string {
	digits := 2
	switch currency {
	case "JPY":
		digits = 0
	case "KWD":
		digits = 3
	}
	sign := ""
	if amount < 0 {
		sign, amount = "-", -amount
	}
	s := strconv.FormatInt(amount, 10)
	if digits > 0 {
		if len(s) <= digits {
			s = strings.Repeat("0", digits-len(s)+1) + s
		}
		s = s[:len(s)-digits] + "." + s[len(s)-digits:]
	}
	return string(currency) + " " + sign + s
}

// String reads like a line of a back office: "order ord_1 (M-1) open: CNY 19.99".
func (o Order) String() string {
	s := "order " + o.ID
	if o.MerchantOrderID != "" {
		s += " (" + o.MerchantOrderID + ")"
	}
	s += " " + string(o.Status) + ": " + FormatAmount(o.Amount, o.Currency)
	if o.AmountRefunded > 0 {
		s += ", refunded " + FormatAmount(o.AmountRefunded, o.Currency)
	}
	return s
}

// String reads like a line of a back office, with the card's brand and last
// four digits only: "payment pay_1 succeeded: CNY 19.99 by card visa ****4242
// (order ord_1)".
func (p Payment) String() string {
	s := "payment " + p.ID + " " + string(p.Status) + ": " + FormatAmount(p.Amount, p.Currency) + " by " + string(p.Method.Type)
	switch {
	case p.Method.Card != nil:
		s += " " + string(p.Method.Card.Brand) + " ****" + p.Method.Card.Last4
	case p.Method.Wallet != nil:
		s += " " + string(p.Method.Wallet.Provider)
	}
	if p.FailureCode != "" {
		s += ", failed: " + string(p.FailureCode)
	}
	if p.AmountRefunded > 0 {
		s += ", refunded " + FormatAmount(p.AmountRefunded, p.Currency)
	}
	return s + " (order " + p.OrderID + ")"
}

// String reads like a line of a back office: "refund re_1 pending: CNY 5.00
// of payment pay_1".
func (r Refund) String() string {
	s := "refund " + r.ID + " " + string(r.Status) + ": " + FormatAmount(r.Amount, r.Currency)
	if r.FailureCode != "" {
		s += ", failed: " + string(r.FailureCode)
	}
	return s + " of payment " + r.PaymentID
}

// String names the event, its type and time, not its data: "event evt_1
// payment.succeeded at 2026-11-21T09:30:00Z".
func (e Event) String() string {
	return "event " + e.ID + " " + string(e.Type) + " at " + e.CreatedAt.UTC().Format("2006-01-02T15:04:05Z07:00")
}
