package sandbox

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A merchant's request log keeps only the newest entries past its cap, so a
// long-running sandbox under load holds bounded memory.
func TestRequestLogs_boundedPerMerchant(t *testing.T) {
	t.Parallel()
	sb := New(withLogLimit(5), WithFrozenClock(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)))
	defer sb.Close()
	m := sb.DefaultMerchant()
	var last []string
	for i := 0; i < 12; i++ {
		r := httptest.NewRequest("GET", "/v1/orders", nil)
		r.Header.Set("Authorization", "Bearer "+m.APIKey())
		r.Header.Set("Tokenim-Merchant-Id", m.ID)
		w := httptest.NewRecorder()
		sb.ServeHTTP(w, r)
		require.Equal(t, http.StatusOK, w.Code)
		last = append(last, w.Header().Get("Request-Id"))
	}
	sb.mu.Lock()
	mm := sb.merchants[m.ID]
	require.Len(t, mm.logs, 5)
	assert.Len(t, mm.logByID, 5, "the index forgets what the log dropped")
	var got []string
	for _, l := range mm.logs {
		got = append(got, l.ID)
	}
	sb.mu.Unlock()
	assert.Equal(t, last[7:], got, "the newest five, oldest first")

	r := httptest.NewRequest("GET", "/v1/request_logs?limit=100", nil)
	r.Header.Set("Authorization", "Bearer "+m.APIKey())
	r.Header.Set("Tokenim-Merchant-Id", m.ID)
	w := httptest.NewRecorder()
	sb.ServeHTTP(w, r)
	var page struct{ Data []struct{ ID string } }
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &page))
	assert.Len(t, page.Data, 5)
}
