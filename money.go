package tokenim

import (
	"fmt"

	"github.com/tokenim/tokenim-go/internal/minorunit"
)

// FormatAmount writes amount minor units of currency as a decimal after the
// currency code: 1999 CNY is "CNY 19.99", 500 JPY "JPY 500", 1250 KWD
// "KWD 1.250", -5 USD "USD -0.05" (docs/tokenim-api.md §1: JPY has no minor
// unit, KWD three, the other supported currencies two; other ISO 4217 codes
// get their standard decimals, unknown ones two). Every int64 formats. The
// String methods of resources, the sandbox's dashboard, the reconciler and
// the CLI all write money this way.
func FormatAmount(amount int64, currency Currency) string {
	return minorunit.WithCode(amount, string(currency))
}

// ParseAmount reads a decimal amount of currency, as a person types it, into
// minor units, without floating point (19.99*100 is 1998.9999… in float64):
// ParseAmount("19.99", "CNY") is 1999, ParseAmount("500", "JPY") 500,
// ParseAmount("1.5", "KWD") 1500. It takes an optional sign, digits and at
// most the currency's decimals, nothing else: "19.999" CNY, "1.5" JPY,
// "1,000", "1e3" and " 19.99" are errors that name the text and what is
// wrong. An amount beyond int64 minor units is an error too. It reads back
// whatever FormatAmount writes, without the code.
func ParseAmount(s string, currency Currency) (int64, error) {
	v, err := minorunit.Parse(s, string(currency))
	if err != nil {
		return 0, fmt.Errorf("tokenim: %w", err)
	}
	return v, nil
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
