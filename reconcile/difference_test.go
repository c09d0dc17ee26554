package reconcile

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The CLI's --json output names kinds, not numbers, and reads back.
func TestReport_JSON(t *testing.T) {
	t.Parallel()
	f := newFixture()
	f.records[1].Amount++
	report := f.reconcile(t)
	b, err := json.Marshal(report)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"kind":"amount_mismatch"`)
	assert.Contains(t, string(b), `"counts":{"amount_mismatch":1,"currency_mismatch":0,`)
	var back Report
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, *report, back)

	var k Kind
	assert.EqualError(t, k.UnmarshalText([]byte("typo")), `reconcile: unknown difference kind "typo"`)
}

func TestDifference_String(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d    Difference
		want string
	}{
		{Difference{Kind: KindCurrencyMismatch, OrderID: "ord_1", Line: 4, Currency: "JPY", LocalCurrency: "CNY", Detail: "the record's currency differs from the platform's"},
			"currency_mismatch: order=ord_1 line=4: the record's currency differs from the platform's: expected CNY, actual JPY"},
		{Difference{Kind: KindSettlementMismatch, SettlementID: "st_1", Currency: "KWD", Expected: 1500, Actual: 1499, Detail: "total"},
			"settlement_mismatch: settlement=st_1: total: expected KWD 1.500, actual KWD 1.499"},
		{Difference{Kind: KindDuplicateRecord, MerchantOrderID: "A-1", Line: 9, Detail: "twice"},
			"duplicate_record: merchant_order=A-1 line=9: twice"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.d.String())
	}
}
