package minorunit

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestFormat(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		amount   int64
		currency string
		want     string
	}{
		{1999, "CNY", "19.99"},
		{5, "USD", "0.05"},
		{-5, "USD", "-0.05"},
		{0, "EUR", "0.00"},
		{500, "JPY", "500"},
		{-500, "JPY", "-500"},
		{1250, "KWD", "1.250"},
		{7, "KWD", "0.007"},
		{1999, "XYZ", "19.99"}, // unknown codes have 2 decimals
		{1999, "jpy", "1999"},
		{math.MaxInt64, "CNY", "92233720368547758.07"},
		{math.MinInt64, "CNY", "-92233720368547758.08"},
		{math.MinInt64, "JPY", "-9223372036854775808"},
		{math.MinInt64, "KWD", "-9223372036854775.808"},
	} {
		if got := Format(tc.amount, tc.currency); got != tc.want {
			t.Errorf("Format(%d, %q) = %q, want %q", tc.amount, tc.currency, got, tc.want)
		}
	}
	if got := WithCode(1999, "CNY"); got != "CNY 19.99" {
		t.Errorf("WithCode = %q", got)
	}
	if got := WithCode(1999, ""); got != "19.99" {
		t.Errorf("WithCode without a code = %q", got)
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		s, currency string
		want        int64
	}{
		{"19.99", "CNY", 1999}, // 19.99*100 in float64 is 1998.9999…
		{"19.9", "CNY", 1990},
		{"19", "CNY", 1900},
		{".5", "USD", 50},
		{"0.07", "USD", 7},
		{"+1.00", "EUR", 100},
		{"-0.05", "USD", -5},
		{"-0", "USD", 0},
		{"500", "JPY", 500},
		{"1.5", "KWD", 1500},
		{"0.001", "KWD", 1},
		{"0001.10", "GBP", 110},
		{"92233720368547758.07", "CNY", math.MaxInt64},
		{"-92233720368547758.08", "CNY", math.MinInt64},
		{"-9223372036854775808", "JPY", math.MinInt64},
	} {
		got, err := Parse(tc.s, tc.currency)
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q, %q) = %d, %v; want %d", tc.s, tc.currency, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		s, currency string
		is          error
		says        string
	}{
		{"", "CNY", ErrSyntax, "empty"},
		{"-", "CNY", ErrSyntax, "no digits"},
		{".", "CNY", ErrSyntax, "no digits"},
		{"19.", "CNY", ErrSyntax, "no digits after the decimal point"},
		{"19.999", "CNY", ErrSyntax, "CNY has 2 decimals, not 3"},
		{"1.5", "JPY", ErrSyntax, "JPY has no minor unit"},
		{"1.2345", "KWD", ErrSyntax, "KWD has 3 decimals, not 4"},
		{"1,000.00", "USD", ErrSyntax, "unexpected ','"},
		{"1e3", "USD", ErrSyntax, "unexpected 'e'"},
		{" 19.99", "CNY", ErrSyntax, "unexpected ' '"},
		{"¥19.99", "CNY", ErrSyntax, "unexpected"},
		{"1.2.3", "CNY", ErrSyntax, "unexpected '.'"},
		{"--1", "CNY", ErrSyntax, "unexpected '-'"},
		{"92233720368547758.08", "CNY", ErrRange, "beyond int64"},
		{"-92233720368547758.09", "CNY", ErrRange, "beyond int64"},
		{"99999999999999999999999", "JPY", ErrRange, "beyond int64"},
	} {
		_, err := Parse(tc.s, tc.currency)
		if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("Parse(%q, %q) error = %v; want %v saying %q", tc.s, tc.currency, err, tc.is, tc.says)
		}
	}
}

// FuzzParseFormat: every amount survives Format then Parse, and whatever
// Parse accepts formats back to the same amount.
func FuzzParseFormat(f *testing.F) {
	for _, s := range []string{"19.99", "-0.05", "500", "1.250", "92233720368547758.07", ".5", "x"} {
		for _, c := range []string{"CNY", "JPY", "KWD"} {
			f.Add(s, c, int64(1999))
		}
	}
	f.Add("", "", int64(math.MinInt64))
	f.Fuzz(func(t *testing.T, s, currency string, amount int64) {
		back, err := Parse(Format(amount, currency), currency)
		if err != nil || back != amount {
			t.Fatalf("Parse(Format(%d, %q)) = %d, %v", amount, currency, back, err)
		}
		v, err := Parse(s, currency)
		if err != nil {
			if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrRange) {
				t.Fatalf("Parse(%q) error %v wraps neither ErrSyntax nor ErrRange", s, err)
			}
			return
		}
		again, err := Parse(Format(v, currency), currency)
		if err != nil || again != v {
			t.Fatalf("Parse(%q) = %d, but its Format %q parses to %d, %v", s, v, Format(v, currency), again, err)
		}
	})
}
