// Package minorunit converts between int64 amounts in a currency's minor
// unit, the only form money takes in this module (docs/tokenim-api.md §1),
// and the decimals people read and type: 1999 CNY is "19.99", 500 JPY is
// "500", 1250 KWD is "1.250". It is the one copy that the SDK, the sandbox,
// the reconciler and the CLI share, so that they never disagree on a
// currency's decimals or on how an amount is written. Standard library only,
// integer arithmetic only: no amount ever passes through a float.
package minorunit

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// exponents are the ISO 4217 currencies whose minor unit is not a
// hundredth: the platform's JPY (none) and KWD (thousandths), and the other
// ISO 4217 currencies with 0 or 3 decimals, so that a currency the platform
// adds later still reads right.
var exponents = map[string]int{
	"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "UGX": 0, "XAF": 0, "XOF": 0,
	"PYG": 0, "RWF": 0, "KMF": 0, "GNF": 0, "DJF": 0, "VUV": 0, "XPF": 0, "BIF": 0,
	"KWD": 3, "BHD": 3, "JOD": 3, "OMR": 3, "TND": 3, "IQD": 3, "LYD": 3,
}

// Exponent is the number of decimals of currency's minor unit: 0 for JPY,
// 3 for KWD, 2 for CNY, USD, EUR, GBP, HKD, SGD and any code it does not
// know. The code is matched case-insensitively.
func Exponent(currency string) int {
	if e, ok := exponents[currency]; ok {
		return e
	}
	if e, ok := exponents[strings.ToUpper(currency)]; ok {
		return e
	}
	return 2
}

// Format writes amount minor units of currency as a decimal without the
// currency code: Format(1999, "CNY") is "19.99", Format(-5, "USD") "-0.05",
// Format(500, "JPY") "500". Every int64 formats, math.MinInt64 included.
func Format(amount int64, currency string) string {
	var b []byte
	u := uint64(amount)
	if amount < 0 {
		b = append(b, '-')
		u = -u // two's complement: the magnitude, also of math.MinInt64
	}
	digits := strconv.FormatUint(u, 10)
	exp := Exponent(currency)
	if exp == 0 {
		return string(append(b, digits...))
	}
	if len(digits) <= exp {
		digits = strings.Repeat("0", exp-len(digits)+1) + digits
	}
	b = append(b, digits[:len(digits)-exp]...)
	b = append(b, '.')
	b = append(b, digits[len(digits)-exp:]...)
	return string(b)
}

// WithCode writes the amount with its currency code first, the one way this
// module shows money: "CNY 19.99", "JPY 500", "USD -0.05". Without a code it
// is the number alone.
func WithCode(amount int64, currency string) string {
	if currency == "" {
		return Format(amount, currency)
	}
	return currency + " " + Format(amount, currency)
}

// ErrSyntax is wrapped by every error of Parse about the text itself.
var ErrSyntax = errors.New("not a decimal amount")

// ErrRange is wrapped by Parse's error for an amount beyond int64 minor units.
var ErrRange = errors.New("amount out of range")

// Parse reads a decimal amount of currency into minor units: Parse("19.99",
// "CNY") is 1999, Parse("500", "JPY") 500, Parse("1.5", "KWD") 1500. It takes
// an optional sign, digits, and at most as many decimals as the currency
// has ("19.9" and "19.90" are both 1990); nothing else — no spaces, thousands
// separators, exponents or currency symbols — so that what a user typed is
// never guessed at. Errors name the text and what is wrong with it, and wrap
// ErrSyntax or ErrRange. Parse(Format(a, c), c) is a for every a.
func Parse(s, currency string) (int64, error) {
	exp := Exponent(currency)
	fail := func(why string, cause error) (int64, error) {
		return 0, fmt.Errorf("amount %s: %s: %w", strconv.Quote(cut(s)), why, cause)
	}
	if s == "" {
		return fail("empty", ErrSyntax)
	}
	t := s
	neg := false
	switch t[0] {
	case '-':
		neg, t = true, t[1:]
	case '+':
		t = t[1:]
	}
	whole, frac, dot := strings.Cut(t, ".")
	if whole == "" && (!dot || frac == "") {
		return fail("no digits", ErrSyntax)
	}
	if dot && frac == "" {
		return fail("no digits after the decimal point", ErrSyntax)
	}
	for _, part := range [...]string{whole, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return fail(fmt.Sprintf("unexpected %s: want digits and at most one '.'", strconv.QuoteRune(rune(part[i]))), ErrSyntax)
			}
		}
	}
	if len(frac) > exp {
		if exp == 0 {
			return fail(fmt.Sprintf("%s has no minor unit: no decimals", currencyName(currency)), ErrSyntax)
		}
		return fail(fmt.Sprintf("%s has %d decimals, not %d", currencyName(currency), exp, len(frac)), ErrSyntax)
	}
	// The magnitude in minor units, as uint64 so that -9223372036854775808
	// (math.MinInt64) parses and one more does not.
	digits := strings.TrimLeft(whole+frac+strings.Repeat("0", exp-len(frac)), "0")
	var u uint64
	if digits != "" {
		var err error
		if u, err = strconv.ParseUint(digits, 10, 64); err != nil {
			return fail("beyond int64 minor units", ErrRange)
		}
	}
	limit := uint64(math.MaxInt64)
	if neg {
		limit++
	}
	if u > limit {
		return fail("beyond int64 minor units", ErrRange)
	}
	if neg {
		return int64(-u), nil
	}
	return int64(u), nil
}

func currencyName(c string) string {
	if c == "" {
		return "a currency without a code"
	}
	return c
}

// cut keeps an error's copy of the input short.
func cut(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
