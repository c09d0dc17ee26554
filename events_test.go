package tokenim

import (
	"context"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEventsService_endpoints(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	testEndpoints(t, []endpointCase{
		{
			name: "Events.Get", method: "GET", path: "/v1/events/evt_1", respond: eventJSON,
			call: func(c *Client) (any, error) { return c.Events.Get(ctx, "evt_1") },
			check: func(t *testing.T, got any) {
				e := got.(*Event)
				assert.Equal(t, EventPaymentSucceeded, e.Type)
				p, err := e.Payment()
				require.NoError(t, err)
				assert.Equal(t, "pay_123", p.ID)
			},
		},
		{
			name: "Events.List", method: "GET", path: "/v1/events", query: url.Values{"type": {"order.paid"}, "limit": {"100"}},
			respond: listJSON(eventJSON),
			call: func(c *Client) (any, error) {
				return c.Events.List(ctx, &EventListParams{ListParams: ListParams{Limit: 100}, Type: EventOrderPaid})
			},
			check: func(t *testing.T, got any) { assert.Equal(t, "evt_1", got.(*List[Event]).Data[0].ID) },
		},
	})
}

func TestEvent_typedAccessors(t *testing.T) {
	t.Parallel()
	payEvt := &Event{ID: "evt_1", Type: EventPaymentSucceeded, Data: EventData{Object: []byte(paymentJSON)}}
	p, err := payEvt.Payment()
	require.NoError(t, err)
	assert.Equal(t, int64(1999), p.Amount)
	_, err = payEvt.Order()
	assert.ErrorContains(t, err, "not a order event")
	_, err = payEvt.Refund()
	assert.Error(t, err)

	orderEvt := &Event{ID: "evt_2", Type: EventOrderPaid, Data: EventData{Object: []byte(orderJSON)}}
	o, err := orderEvt.Order()
	require.NoError(t, err)
	assert.Equal(t, "ord_123", o.ID)

	refundEvt := &Event{ID: "evt_3", Type: EventRefundSucceeded, Data: EventData{Object: []byte(refundJSON)}}
	r, err := refundEvt.Refund()
	require.NoError(t, err)
	assert.Equal(t, "re_1", r.ID)

	mismatch := &Event{ID: "evt_4", Type: EventOrderPaid, Data: EventData{Object: []byte(paymentJSON)}}
	_, err = mismatch.Order()
	assert.ErrorContains(t, err, `holds a "payment" object`)
	empty := &Event{ID: "evt_5", Type: EventOrderPaid}
	_, err = empty.Order()
	assert.ErrorContains(t, err, "no data.object")
}
