package tokenim

import (
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
	} {
		assert.Equal(t, tc.want, FormatAmount(tc.amount, tc.currency), "%d %s", tc.amount, tc.currency)
	}
}
