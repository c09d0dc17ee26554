package reconcile

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFee(t *testing.T) {
	t.Parallel()
	tests := []struct {
		m      Method
		amount int64
		want   int64
	}{
		{MethodCard, 1999, 88},                     // 57.971 → 58, + 30
		{MethodCard, 500, 45},                      // 14.5 rounds half up to 15
		{MethodWallet, 150, 2},                     // 1.5 → 2
		{MethodWallet, 149, 1},                     // 1.49 → 1
		{MethodBankTransfer, 100, 1},               // 0.5 → 1
		{MethodBankTransfer, 99, 0},                // 0.495 → 0
		{MethodWallet, 99999999999, 999999999 + 1}, // 999 999 999.99 → 1 000 000 000
		{MethodCard, math.MaxInt64, 267477789068788498 + 30},
		{MethodUnknown, 100, -1},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Fee(tt.m, tt.amount), "%v %d", tt.m, tt.amount)
	}
}

func TestFormatAmount(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "19.99 CNY", FormatAmount(1999, "CNY"))
	assert.Equal(t, "-0.05 USD", FormatAmount(-5, "USD"))
	assert.Equal(t, "500 JPY", FormatAmount(500, "JPY"))
	assert.Equal(t, "1.500 KWD", FormatAmount(1500, "KWD"))
	assert.Equal(t, "0.007 KWD", FormatAmount(7, "KWD"))
	assert.Equal(t, "-92233720368547758.08 EUR", FormatAmount(math.MinInt64, "EUR"))
}
