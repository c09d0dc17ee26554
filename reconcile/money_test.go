package reconcile

import (
	"errors"
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
	assert.Equal(t, "CNY 19.99", FormatAmount(1999, "CNY"))
	assert.Equal(t, "USD -0.05", FormatAmount(-5, "USD"))
	assert.Equal(t, "JPY 500", FormatAmount(500, "JPY"))
	assert.Equal(t, "KWD 1.500", FormatAmount(1500, "KWD"))
	assert.Equal(t, "KWD 0.007", FormatAmount(7, "KWD"))
	assert.Equal(t, "EUR -92233720368547758.08", FormatAmount(math.MinInt64, "EUR"))
}

// A ParseError without a line (built by hand, or about the file as a whole)
// does not claim "line 0".
func TestParseError_withoutLine(t *testing.T) {
	t.Parallel()
	err := &ParseError{File: "statement", Err: errors.New("read: connection reset")}
	assert.Equal(t, "reconcile: statement: read: connection reset", err.Error())
	err = &ParseError{File: "statement", Line: 3, Column: 2, Name: "amount", Err: errors.New("bad")}
	assert.Equal(t, "reconcile: statement line 3, column 2 (amount): bad", err.Error())
}
