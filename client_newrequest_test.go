package tokenim

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// NewRequest must keep the call's idempotency key and WithResponse target:
// a POST sent through NewRequest and Do without its key could execute twice
// on a retry (docs/tokenim-api.md §2).
func TestNewRequest_keepsIdempotencyKeyAndResponse(t *testing.T) {
	t.Parallel()
	c, mt, _ := newTestClient(t)
	var keys []string
	mt.RegisterResponder("POST", testBaseURL+"/v1/orders", func(r *http.Request) (*http.Response, error) {
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		if len(keys) == 1 {
			return rawJSONResponse(503, `{"type":"about:blank","status":503,"code":"service_unavailable"}`), nil
		}
		return rawJSONResponse(200, `{"id":"ord_1","object":"order"}`), nil
	})
	var resp Response
	req, err := c.NewRequest(context.Background(), http.MethodPost, "/v1/orders", map[string]any{"amount": 1}, WithIdempotencyKey("key-given-1"), WithResponse(&resp))
	require.NoError(t, err)
	assert.Equal(t, "key-given-1", req.IdempotencyKey)
	_, err = c.Do(req, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"key-given-1", "key-given-1"}, keys, "the given key, on the retry too")
	assert.Equal(t, http.StatusOK, resp.StatusCode, "WithResponse is filled")

	req, err = c.NewRequest(context.Background(), http.MethodPost, "/v1/orders", map[string]any{"amount": 1})
	require.NoError(t, err)
	assert.NotEmpty(t, req.IdempotencyKey, "a fresh key when none is given")
}
