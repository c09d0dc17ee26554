package reconcile

import (
	"strconv"

	"github.com/tokenim/tokenim-go/internal/minorunit"
)

// Method is how a payment was made; it decides its fee (docs/tokenim-api.md §5).
type Method uint8

// The payment methods of docs/tokenim-api.md §5. MethodUnknown is a record
// that does not say: its payment's fee must then equal one of the schedule's
// values for that amount.
const (
	MethodUnknown Method = iota
	MethodCard
	MethodWallet
	MethodBankTransfer
)

var methodNames = [...]string{"", "card", "wallet", "bank_transfer"}

// String returns the method's wire name ("card", "wallet", "bank_transfer"),
// or "" for MethodUnknown.
func (m Method) String() string {
	if int(m) < len(methodNames) {
		return methodNames[m]
	}
	return "method(" + strconv.Itoa(int(m)) + ")"
}

// ParseMethod parses a method's wire name; "" is MethodUnknown.
func ParseMethod(s string) (Method, bool) {
	for i, name := range methodNames {
		if s == name {
			return Method(i), true
		}
	}
	return MethodUnknown, false
}

// DisputeFee is the fee of an opened dispute: 1500 minor units of the
// dispute's currency, whatever its exponent (docs/tokenim-api.md §8).
const DisputeFee = 1500

// Fee returns the platform's fee for a payment of amount by method
// (docs/tokenim-api.md §5): card 2.9 % + 30, wallet 1.0 %, bank transfer
// 0.5 %, each rounded half up to the minor unit. It is exact for every int64
// amount ≥ 0 (no intermediate product can overflow). MethodUnknown has no fee
// of its own and returns -1.
func Fee(m Method, amount int64) int64 {
	switch m {
	case MethodCard:
		return permille(amount, 29) + 30
	case MethodWallet:
		return permille(amount, 10)
	case MethodBankTransfer:
		return permille(amount, 5)
	}
	return -1
}

// permille returns amount*rate/1000 rounded half up, splitting amount so that
// no product exceeds 1000*rate.
func permille(amount, rate int64) int64 {
	q, r := amount/1000, amount%1000
	return q*rate + (r*rate+500)/1000
}

// feeMatches reports whether fee is the schedule's fee for a payment of
// amount: by m when known, else by any method of the schedule.
func feeMatches(m Method, amount, fee int64) bool {
	if m != MethodUnknown {
		return Fee(m, amount) == fee
	}
	for _, k := range [...]Method{MethodCard, MethodWallet, MethodBankTransfer} {
		if Fee(k, amount) == fee {
			return true
		}
	}
	return false
}

// Exponent returns the number of decimals of currency's minor unit: 0 for
// JPY, 3 for KWD, 2 for the platform's other currencies (docs/tokenim-api.md
// §1); other ISO 4217 codes get their standard decimals, unknown ones 2 (the
// platform may add currencies).
func Exponent(currency string) int { return minorunit.Exponent(currency) }

// FormatAmount renders amount minor units of currency as a decimal after the
// currency code, as tokenim.FormatAmount does: FormatAmount(1999, "CNY") is
// "CNY 19.99" and FormatAmount(500, "JPY") is "JPY 500". Every int64
// formats.
func FormatAmount(amount int64, currency string) string {
	return minorunit.WithCode(amount, currency)
}

// validCurrency reports whether s is an ISO 4217 code in upper case.
func validCurrency(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// add returns a+b and whether it did not overflow int64.
func add(a, b int64) (int64, bool) {
	s := a + b
	return s, (s > a) == (b > 0)
}

// sub returns a-b and whether it did not overflow int64.
func sub(a, b int64) (int64, bool) {
	d := a - b
	return d, (d < a) == (b > 0)
}
