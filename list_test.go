package tokenim

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pagedOrders serves orders ord_1…ord_n newest first, limit per page,
// following starting_after like the platform.
func pagedOrders(t *testing.T, rec *recorder, n, limit int, fail map[int]bool) func(int, *http.Request) (*http.Response, error) {
	return func(call int, req *http.Request) (*http.Response, error) {
		if fail[call] {
			return problemResponse(400, CodeInvalidRequest), nil
		}
		start := n // newest first
		if after := req.URL.Query().Get("starting_after"); after != "" {
			_, err := fmt.Sscanf(after, "ord_%d", &start)
			require.NoError(t, err)
			start--
		}
		var items []string
		for i := start; i >= 1 && len(items) < limit; i-- {
			items = append(items, strings.Replace(orderJSON, `"ord_123"`, fmt.Sprintf(`"ord_%d"`, i), 1))
		}
		more := start-len(items) >= 1
		return rawJSONResponse(200, fmt.Sprintf(`{"object":"list","data":[%s],"has_more":%t}`, strings.Join(items, ","), more)), nil
	}
}

func TestOrdersService_All_walksEveryPage(t *testing.T) {
	t.Parallel()
	c, mt, _ := newTestClient(t)
	var rec recorder
	mt.RegisterResponder("GET", testBaseURL+"/v1/orders", rec.handle(pagedOrders(t, &rec, 7, 3, nil)))

	var ids []string
	for o, err := range c.Orders.All(context.Background(), &OrderListParams{ListParams: ListParams{Limit: 3}, Status: OrderStatusOpen}) {
		require.NoError(t, err)
		ids = append(ids, o.ID)
	}

	assert.Equal(t, []string{"ord_7", "ord_6", "ord_5", "ord_4", "ord_3", "ord_2", "ord_1"}, ids)
	reqs := rec.Requests()
	require.Len(t, reqs, 3)
	var cursors []string
	for _, r := range reqs {
		q, err := url.ParseQuery(r.Query)
		require.NoError(t, err)
		assert.Equal(t, "3", q.Get("limit"))
		assert.Equal(t, "open", q.Get("status"), "filters are kept on every page")
		cursors = append(cursors, q.Get("starting_after"))
	}
	assert.Equal(t, []string{"", "ord_5", "ord_2"}, cursors)
}

func TestOrdersService_All_canBeRangedTwice(t *testing.T) {
	t.Parallel()
	c, mt, _ := newTestClient(t)
	var rec recorder
	mt.RegisterResponder("GET", testBaseURL+"/v1/orders", rec.handle(pagedOrders(t, &rec, 4, 2, nil)))
	seq := c.Orders.All(context.Background(), &OrderListParams{ListParams: ListParams{Limit: 2}})
	count := func() int {
		n := 0
		for _, err := range seq {
			require.NoError(t, err)
			n++
		}
		return n
	}
	assert.Equal(t, 4, count())
	assert.Equal(t, 4, count(), "a second walk starts from the first page again")
}

func TestOrdersService_All_stopsAtFirstError(t *testing.T) {
	t.Parallel()
	c, mt, _ := newTestClient(t)
	var rec recorder
	mt.RegisterResponder("GET", testBaseURL+"/v1/orders", rec.handle(pagedOrders(t, &rec, 9, 3, map[int]bool{2: true})))

	var ids []string
	var errs []error
	for o, err := range c.Orders.All(context.Background(), &OrderListParams{ListParams: ListParams{Limit: 3}}) {
		if err != nil {
			errs = append(errs, err)
			continue // the iterator must end by itself after an error
		}
		ids = append(ids, o.ID)
	}

	assert.Equal(t, []string{"ord_9", "ord_8", "ord_7"}, ids)
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], ErrInvalidRequest)
	assert.Equal(t, 2, rec.Count())
}

func TestOrdersService_All_earlyBreakStopsFetching(t *testing.T) {
	t.Parallel()
	c, mt, _ := newTestClient(t)
	var rec recorder
	mt.RegisterResponder("GET", testBaseURL+"/v1/orders", rec.handle(pagedOrders(t, &rec, 9, 3, nil)))

	var ids []string
	for o, err := range c.Orders.All(context.Background(), &OrderListParams{ListParams: ListParams{Limit: 3}}) {
		require.NoError(t, err)
		ids = append(ids, o.ID)
		if len(ids) == 3 { // the last item of the first page
			break
		}
	}

	assert.Len(t, ids, 3)
	assert.Equal(t, 1, rec.Count(), "breaking out makes no further request")
}

func TestAll_invalidParamsYieldOneErrorWithoutRequest(t *testing.T) {
	t.Parallel()
	c, mt, _ := newTestClient(t)
	n := 0
	for _, err := range c.Payments.All(context.Background(), &PaymentListParams{ListParams: ListParams{Limit: 500}}) {
		n++
		assert.ErrorIs(t, err, ErrInvalidRequest)
	}
	assert.Equal(t, 1, n)
	assert.Equal(t, 0, mt.GetTotalCallCount())
}

func TestAll_hasMoreWithEmptyPageEnds(t *testing.T) {
	t.Parallel()
	c, mt, _ := newTestClient(t)
	var rec recorder
	mt.RegisterResponder("GET", testBaseURL+"/v1/refunds", rec.handle(func(int, *http.Request) (*http.Response, error) {
		return rawJSONResponse(200, `{"object":"list","data":[],"has_more":true}`), nil
	}))
	var errs []error
	for _, err := range c.Refunds.All(context.Background(), nil) {
		errs = append(errs, err)
	}
	require.Len(t, errs, 1)
	assert.ErrorContains(t, errs[0], "has_more")
	assert.Equal(t, 1, rec.Count())
}

func TestAll_everyServiceFollowsCursor(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []struct {
		path  string
		item  func(id string) string
		walk  func(c *Client) ([]string, error)
		first string
	}{
		{"/v1/payments", func(id string) string { return strings.Replace(paymentJSON, `"pay_123"`, `"`+id+`"`, 1) },
			func(c *Client) ([]string, error) {
				return collect(c.Payments.All(ctx, nil), func(p *Payment) string { return p.ID })
			}, "pay_"},
		{"/v1/refunds", func(id string) string { return strings.Replace(refundJSON, `"re_1"`, `"`+id+`"`, 1) },
			func(c *Client) ([]string, error) {
				return collect(c.Refunds.All(ctx, nil), func(r *Refund) string { return r.ID })
			}, "re_"},
		{"/v1/events", func(id string) string { return strings.Replace(eventJSON, `"evt_1"`, `"`+id+`"`, 1) },
			func(c *Client) ([]string, error) {
				return collect(c.Events.All(ctx, nil), func(e *Event) string { return e.ID })
			}, "evt_"},
		{"/v1/webhook_endpoints", func(id string) string { return strings.Replace(endpointJSON, `"we_1"`, `"`+id+`"`, 1) },
			func(c *Client) ([]string, error) {
				return collect(c.WebhookEndpoints.All(ctx, nil), func(w *WebhookEndpoint) string { return w.ID })
			}, "we_"},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			t.Parallel()
			c, mt, _ := newTestClient(t)
			var rec recorder
			mt.RegisterResponder("GET", testBaseURL+tc.path, rec.handle(func(n int, _ *http.Request) (*http.Response, error) {
				id := fmt.Sprintf("%s%d", tc.first, n)
				return rawJSONResponse(200, fmt.Sprintf(`{"object":"list","data":[%s],"has_more":%t}`, tc.item(id), n < 2)), nil
			}))

			ids, err := tc.walk(c)

			require.NoError(t, err)
			assert.Equal(t, []string{tc.first + "1", tc.first + "2"}, ids)
			reqs := rec.Requests()
			require.Len(t, reqs, 2)
			assert.Equal(t, "starting_after="+tc.first+"1", reqs[1].Query)
		})
	}
}

func collect[T any](seq func(func(*T, error) bool), id func(*T) string) ([]string, error) {
	var ids []string
	for v, err := range seq {
		if err != nil {
			return ids, err
		}
		ids = append(ids, id(v))
	}
	return ids, nil
}
