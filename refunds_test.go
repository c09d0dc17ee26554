package tokenim

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRefundsService_endpoints(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	testEndpoints(t, []endpointCase{
		{
			name: "Refunds.Create", method: "POST", path: "/v1/refunds",
			wantBody: `{"payment_id":"pay_123","amount":500,"reason":"duplicate"}`, respond: refundJSON,
			call: func(c *Client) (any, error) {
				return c.Refunds.Create(ctx, &RefundCreateParams{PaymentID: "pay_123", Amount: 500, Reason: RefundReasonDuplicate})
			},
			check: func(t *testing.T, got any) {
				r := got.(*Refund)
				assert.Equal(t, RefundStatusPending, r.Status)
				assert.Equal(t, RefundReasonDuplicate, r.Reason)
				assert.Nil(t, r.SucceededAt)
			},
		},
		{
			name: "Refunds.Create full", method: "POST", path: "/v1/refunds",
			wantBody: `{"payment_id":"pay_123"}`, respond: refundJSON,
			call: func(c *Client) (any, error) {
				return c.Refunds.Create(ctx, &RefundCreateParams{PaymentID: "pay_123", Remaining: true})
			},
			check: func(t *testing.T, got any) { assert.Equal(t, "re_1", got.(*Refund).ID) },
		},
		{
			name: "Refunds.Get", method: "GET", path: "/v1/refunds/re_1", respond: refundJSON,
			call:  func(c *Client) (any, error) { return c.Refunds.Get(ctx, "re_1") },
			check: func(t *testing.T, got any) { assert.Equal(t, map[string]string{"k": "v"}, got.(*Refund).Metadata) },
		},
		{
			name: "Refunds.List", method: "GET", path: "/v1/refunds", query: url.Values{"payment_id": {"pay_123"}},
			respond: listJSON(refundJSON),
			call: func(c *Client) (any, error) {
				return c.Refunds.List(ctx, &RefundListParams{PaymentID: "pay_123"})
			},
			check: func(t *testing.T, got any) { assert.Equal(t, "re_1", got.(*List[Refund]).Data[0].ID) },
		},
	})
}

// TestRefundsService_Create_zeroAmountNeverRefundsEverything: an Amount of 0
// that came from arithmetic is an error naming amount, and nothing is sent;
// refunding all that remains is said in words, Remaining: true.
func TestRefundsService_Create_zeroAmountNeverRefundsEverything(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, mt, _ := newTestClient(t)
	var rec recorder
	mt.RegisterResponder("POST", testBaseURL+"/v1/refunds", rec.handle(func(int, *http.Request) (*http.Response, error) {
		return rawJSONResponse(200, refundJSON), nil
	}))
	paid, alreadyRefunded := int64(1999), int64(1999)

	_, err := c.Refunds.Create(ctx, &RefundCreateParams{PaymentID: "pay_123", Amount: paid - alreadyRefunded})

	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "amount", ve.Field)
	assert.Contains(t, ve.Reason, "Remaining", "the error says how to refund the rest on purpose")
	assert.Zero(t, rec.Count(), "nothing is sent")

	_, err = c.Refunds.Create(ctx, &RefundCreateParams{PaymentID: "pay_123", Amount: 500, Remaining: true})
	require.ErrorAs(t, err, &ve, "an amount and Remaining together are a contradiction")
	assert.Equal(t, "amount", ve.Field)
	assert.Zero(t, rec.Count())

	r, err := c.Refunds.Create(ctx, &RefundCreateParams{PaymentID: "pay_123", Remaining: true})
	require.NoError(t, err)
	assert.Equal(t, "re_1", r.ID)
	require.Equal(t, 1, rec.Count())
	assert.JSONEq(t, `{"payment_id":"pay_123"}`, string(rec.Requests()[0].Body), "Remaining sends no amount")
}
