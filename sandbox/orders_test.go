package sandbox

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A returned bank transfer frees its order: past its expires_at (the
// default 30 min; the transfer takes 1 h) the order is expired, else open.
func TestOrder_returnedBankTransferFreesTheOrder(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	late := newOrder(t, srv, 1013)
	later := api(t, srv, "POST", "/v1/orders", map[string]any{"merchant_order_id": "returned-open", "amount": 2013, "currency": "CNY",
		"expires_at": t0.Add(2 * time.Hour).Format(time.RFC3339)})
	require.Equal(t, 200, later.status, "%s", later.raw)
	for _, id := range []string{late, later.str("id")} {
		p := api(t, srv, "POST", "/v1/payments", map[string]any{"order_id": id, "method": map[string]any{"type": "bank_transfer"}})
		require.Equal(t, "processing", p.str("status"), "%s", p.raw)
	}
	srv.Advance(time.Hour)

	assert.Equal(t, "expired", api(t, srv, "GET", "/v1/orders/"+late, nil).str("status"))
	assert.Equal(t, "open", api(t, srv, "GET", "/v1/orders/"+later.str("id"), nil).str("status"))
	var expired []string
	for _, raw := range srv.Events(srv.MerchantID) {
		var e struct {
			Type string
			Data struct{ Object struct{ ID string } }
		}
		require.NoError(t, json.Unmarshal(raw, &e))
		if e.Type == "order.expired" {
			expired = append(expired, e.Data.Object.ID)
		}
	}
	assert.Equal(t, []string{late}, expired, "the expiry is announced, for that order only")
}

// The refusal to revoke the calling key says what to do instead.
func TestAPIKeys_revokingTheCallingKeySaysWhatToDo(t *testing.T) {
	t.Parallel()
	srv := Start(t, WithFrozenClock(t0))
	keys := api(t, srv, "GET", "/v1/api_keys", nil)
	require.Equal(t, 200, keys.status, "%s", keys.raw)
	id := keys.body["data"].([]any)[0].(map[string]any)["id"].(string)
	r := api(t, srv, "POST", "/v1/api_keys/"+id+"/revoke", nil)
	assert.Equal(t, "cannot_revoke_current_key", r.str("code"))
	assert.Contains(t, r.str("detail"), "Roll it first (POST /v1/api_keys/"+id+"/roll)")
	assert.Contains(t, r.str("detail"), "with the new key")
}
