package tokenim

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const requestLogJSON = `{"id":"req_1","object":"request_log","method":"POST","path":"/v1/orders","status":409,
	"error_code":"duplicate_merchant_order_id","idempotency_key":"k-1","replayed":false,"api_key_last4":"4f2a",
	"duration_ms":12,"created_at":"2026-11-21T09:30:00Z"}`

func TestRequestLogsService_endpoints(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	gte := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	lt := gte.Add(time.Hour)
	testEndpoints(t, []endpointCase{
		{
			name: "RequestLogs.List", method: "GET", path: "/v1/request_logs", respond: listJSON(requestLogJSON),
			query: url.Values{"limit": {"50"}, "method": {"POST"}, "status": {"4xx"}, "path": {"/v1/orders"},
				"idempotency_key": {"k-1"}, "created_gte": {"2026-11-21T09:00:00Z"}, "created_lt": {"2026-11-21T10:00:00Z"}},
			call: func(c *Client) (any, error) {
				return c.RequestLogs.List(ctx, &RequestLogListParams{ListParams: ListParams{Limit: 50}, Method: "POST",
					Status: "4xx", Path: "/v1/orders", IdempotencyKey: "k-1", CreatedGTE: &gte, CreatedLT: &lt})
			},
			check: func(t *testing.T, got any) {
				l := got.(*List[RequestLog]).Data[0]
				assert.Equal(t, CodeDuplicateMerchantOrderID, l.ErrorCode)
				assert.Equal(t, "4f2a", l.APIKeyLast4)
				assert.Equal(t, int64(12), l.DurationMS)
				assert.Equal(t, "2026-11-21T09:30:00Z POST /v1/orders 409 duplicate_merchant_order_id 12ms key …4f2a req_1", l.String())
			},
		},
		{
			name: "RequestLogs.Get", method: "GET", path: "/v1/request_logs/req_1", respond: requestLogJSON,
			call:  func(c *Client) (any, error) { return c.RequestLogs.Get(ctx, "req_1") },
			check: func(t *testing.T, got any) { assert.Equal(t, 409, got.(*RequestLog).Status) },
		},
	})
}

func TestRequestLogsService_rejectsBadFiltersWithoutRequest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, mt, _ := newTestClient(t)
	t0 := time.Now()
	for field, p := range map[string]*RequestLogListParams{
		"method":          {Method: "post"},
		"status":          {Status: "3xx"},
		"path":            {Path: "v1/orders"},
		"idempotency_key": {IdempotencyKey: "has space"},
		"created_lt":      {CreatedGTE: &t0, CreatedLT: &t0},
		"starting_after":  {ListParams: ListParams{StartingAfter: "key_1"}},
	} {
		_, err := c.RequestLogs.List(ctx, p)
		var ve *ValidationError
		require.ErrorAs(t, err, &ve, field)
		assert.Equal(t, field, ve.Field)
	}
	for _, ok := range []string{"200", "404", "2xx", "5xx"} {
		assert.True(t, validStatusFilter(ok), ok)
	}
	for _, bad := range []string{"", "20", "2000", "6xx", "xx2", "abc"} {
		assert.False(t, validStatusFilter(bad), bad)
	}
	assert.Zero(t, mt.GetTotalCallCount(), "nothing is sent")
}
