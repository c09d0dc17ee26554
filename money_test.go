package tokenim

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFormatAmount(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		amount   int64
		currency Currency
		want     string
	}{
		{1999, "CNY", "CNY 19.99"},
		{5, "USD", "USD 0.05"},
		{100, "EUR", "EUR 1.00"},
		{0, "CNY", "CNY 0.00"},
		{500, "JPY", "JPY 500"},
		{1500, "KWD", "KWD 1.500"},
		{7, "KWD", "KWD 0.007"},
		{-250, "GBP", "GBP -2.50"},
		{99_999_999_999, "HKD", "HKD 999999999.99"},
		{math.MinInt64, "CNY", "CNY -92233720368547758.08"},
		{math.MaxInt64, "JPY", "JPY 9223372036854775807"},
		{1999, "", "19.99"},
	} {
		assert.Equal(t, tc.want, FormatAmount(tc.amount, tc.currency), "%d %s", tc.amount, tc.currency)
	}
}

func TestParseAmount(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		s        string
		currency Currency
		want     int64
	}{
		{"19.99", "CNY", 1999},
		{"0.07", "USD", 7},
		{"500", "JPY", 500},
		{"1.5", "KWD", 1500},
		{"-2.50", "GBP", -250},
	} {
		got, err := ParseAmount(tc.s, tc.currency)
		if err != nil || got != tc.want {
			t.Errorf("ParseAmount(%q, %s) = %d, %v; want %d", tc.s, tc.currency, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		s        string
		currency Currency
		says     string
	}{
		{"19.999", "CNY", `tokenim: amount "19.999": CNY has 2 decimals, not 3`},
		{"1.5", "JPY", "JPY has no minor unit"},
		{"1,000.00", "USD", "unexpected ','"},
		{"", "CNY", "empty"},
		{"92233720368547758.08", "CNY", "beyond int64 minor units"},
	} {
		_, err := ParseAmount(tc.s, tc.currency)
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("ParseAmount(%q, %s) error = %v, want one saying %q", tc.s, tc.currency, err, tc.says)
		}
	}
}

// FuzzParseAmount holds ParseAmount to FormatAmount: what one writes (after
// the code) the other reads back, for every amount and currency.
func FuzzParseAmount(f *testing.F) {
	for _, c := range []string{"CNY", "JPY", "KWD", "XYZ", ""} {
		f.Add(int64(1999), c)
	}
	f.Add(int64(math.MinInt64), "CNY")
	f.Add(int64(math.MaxInt64), "KWD")
	f.Fuzz(func(t *testing.T, amount int64, currency string) {
		s := FormatAmount(amount, Currency(currency))
		if currency != "" {
			var ok bool
			if s, ok = strings.CutPrefix(s, currency+" "); !ok {
				t.Fatalf("FormatAmount(%d, %q) = %q does not start with the code", amount, currency, s)
			}
		}
		got, err := ParseAmount(s, Currency(currency))
		if err != nil || got != amount {
			t.Fatalf("ParseAmount(%q, %q) = %d, %v; want %d", s, currency, got, err, amount)
		}
	})
}
