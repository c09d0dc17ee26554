package conformance

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tokenim "github.com/tokenim/tokenim-go"
)

// TestContract_controlAPI exercises the sandbox control API over HTTP
// through the recorders (clock, faults, request and delivery logs, reset),
// together with the /v1/ answers each control changes: a fault plan's 503,
// and a reset that forgets every object.
func TestContract_controlAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()

	var clock struct {
		Now    time.Time `json:"now"`
		Frozen bool      `json:"frozen"`
	}
	// Freeze and resume go through the Go API: their HTTP answers break
	// the spec (TestContract_sandboxFreezeResume).
	e.sb.Clock().Freeze()
	e.control(http.MethodGet, "/_sandbox/clock", nil, &clock)
	assert.True(t, clock.Frozen)
	before := clock.Now
	var advanced struct {
		OK  bool      `json:"ok"`
		Now time.Time `json:"now"`
	}
	e.control(http.MethodPost, "/_sandbox/clock/advance", map[string]int64{"seconds": 90}, &advanced)
	assert.True(t, advanced.OK)
	assert.Equal(t, before.Add(90*time.Second), advanced.Now, "a frozen clock moves only by the advance")
	e.sb.Clock().Resume()
	e.control(http.MethodGet, "/_sandbox/clock", nil, &clock)
	assert.False(t, clock.Frozen)

	o := newOrder(t, e.c, "ctl-1", 100, "CNY")

	// Every order creation fails before commit with Retry-After: 1, longer
	// than this test client's maximum wait: the call ends at once with the
	// 503 (docs/tokenim-api.md §3), and nothing was created.
	e.control(http.MethodPost, "/_sandbox/faults", map[string]any{"seed": 1, "rules": []map[string]any{
		{"method": "POST", "path": "/v1/orders", "kind": "error_before_commit", "status": 503, "rate": 1},
	}}, nil)
	_, err := e.c.Orders.Create(ctx, &tokenim.OrderCreateParams{MerchantOrderID: "ctl-2", Amount: 100, Currency: "CNY"})
	apiErr := apiError(t, err)
	assert.Equal(t, http.StatusServiceUnavailable, apiErr.HTTPStatus)
	assert.False(t, errors.Is(err, tokenim.ErrUnknownOutcome), "an answered 503 is not an unknown outcome")
	e.control(http.MethodDelete, "/_sandbox/faults", nil, nil)
	list, err := e.c.Orders.List(ctx, &tokenim.OrderListParams{MerchantOrderID: "ctl-2"})
	require.NoError(t, err)
	assert.Empty(t, list.Data, "a fault before commit executes nothing")

	var requests struct {
		Object string           `json:"object"`
		Data   []map[string]any `json:"data"`
	}
	e.control(http.MethodGet, "/_sandbox/requests", nil, &requests)
	assert.Equal(t, "list", requests.Object)
	faulted := 0
	for _, r := range requests.Data {
		if r["fault"] != "" && r["fault"] != nil {
			faulted++
		}
	}
	assert.Equal(t, 1, faulted, "a Retry-After beyond the maximum wait is not retried")
	var deliveries struct {
		Object string `json:"object"`
	}
	e.control(http.MethodGet, "/_sandbox/deliveries", nil, &deliveries)
	assert.Equal(t, "list", deliveries.Object)

	e.control(http.MethodPost, "/_sandbox/reset", nil, nil)
	_, err = e.c.Orders.Get(ctx, o.ID)
	assert.Equal(t, tokenim.CodeResourceMissing, apiError(t, err).Code, "reset forgets every object")
	_, err = e.c.Orders.List(ctx, nil)
	assert.NoError(t, err, "reset keeps the merchant's credentials")

	assert.Empty(t, e.server.Failures())
	assert.Empty(t, e.client.Failures())
	covered := e.server.Covered()
	for _, op := range []string{"sandboxReset", "sandboxGetClock", "sandboxAdvanceClock", "sandboxSetFaults", "sandboxClearFaults", "sandboxListRequests", "sandboxListDeliveries"} {
		assert.Positive(t, covered[op], "control operation %s", op)
	}
}
