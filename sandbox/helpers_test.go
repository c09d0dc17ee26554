package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)

// result is one decoded answer.
type result struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

func (r result) str(k string) string { s, _ := r.body[k].(string); return s }

// api calls srv as its default merchant.
func api(t testing.TB, srv *Server, method, path string, body any, headers ...string) result {
	t.Helper()
	return apiAs(t, srv, srv.DefaultMerchant(), method, path, body, headers...)
}

func apiAs(t testing.TB, srv *Server, m Merchant, method, path string, body any, headers ...string) result {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		buf, err := json.Marshal(b)
		require.NoError(t, err)
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, srv.URL+path, rd)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+m.APIKey())
	req.Header.Set("Tokenim-Merchant-Id", m.ID)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "Host" {
			req.Host = headers[i+1]
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	r := result{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 {
		require.NoError(t, json.Unmarshal(raw, &r.body), "body: %s", raw)
	}
	return r
}

func newOrder(t testing.TB, srv *Server, amount int64) string {
	t.Helper()
	r := api(t, srv, "POST", "/v1/orders", map[string]any{
		"merchant_order_id": "mo_" + srv.randomID(10), "amount": amount, "currency": "CNY",
	})
	require.Equal(t, 200, r.status, "%s", r.raw)
	return r.str("id")
}

func cardPayment(orderID, number string) map[string]any {
	return map[string]any{"order_id": orderID, "method": map[string]any{
		"type": "card", "card": map[string]any{"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"},
	}}
}
