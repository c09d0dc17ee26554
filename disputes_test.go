package tokenim

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const disputeJSON = `{"id":"dp_1","object":"dispute","payment_id":"pay_1","order_id":"ord_1","amount":5000,"currency":"CNY",
"fee":1500,"reason":"fraudulent","status":"needs_response","evidence":{"product_description":"Mug","customer_communication":null,
"shipping_tracking_number":null,"refund_policy":null,"uncategorized_text":null},"evidence_due_by":"2026-11-28T09:30:00Z",
"submitted_at":null,"created_at":"2026-11-21T09:30:00Z","closed_at":null}`

func TestDisputesService_endpoints(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	testEndpoints(t, []endpointCase{
		{
			name: "Disputes.Get", method: "GET", path: "/v1/disputes/dp_1", respond: disputeJSON,
			call: func(c *Client) (any, error) { return c.Disputes.Get(ctx, "dp_1") },
			check: func(t *testing.T, got any) {
				d := got.(*Dispute)
				assert.Equal(t, DisputeStatusNeedsResponse, d.Status)
				assert.Equal(t, DisputeReasonFraudulent, d.Reason)
				assert.Equal(t, int64(1500), d.Fee)
				assert.Equal(t, "Mug", d.Evidence.ProductDescription)
				assert.Equal(t, time.Date(2026, 11, 28, 9, 30, 0, 0, time.UTC), d.EvidenceDueBy)
				assert.Nil(t, d.SubmittedAt)
			},
		},
		{
			name: "Disputes.List", method: "GET", path: "/v1/disputes",
			query:   url.Values{"status": {"needs_response"}, "payment_id": {"pay_1"}},
			respond: listJSON(disputeJSON),
			call: func(c *Client) (any, error) {
				return c.Disputes.List(ctx, &DisputeListParams{Status: DisputeStatusNeedsResponse, PaymentID: "pay_1"})
			},
			check: func(t *testing.T, got any) { assert.Equal(t, "dp_1", got.(*List[Dispute]).Data[0].ID) },
		},
		{
			name: "Disputes.UpdateEvidence", method: "POST", path: "/v1/disputes/dp_1/evidence",
			wantBody: `{"evidence":{"product_description":"Mug","refund_policy":"30 days"}}`, respond: disputeJSON,
			call: func(c *Client) (any, error) {
				return c.Disputes.UpdateEvidence(ctx, "dp_1", &DisputeEvidence{ProductDescription: "Mug", RefundPolicy: "30 days"})
			},
			check: func(t *testing.T, got any) { assert.Equal(t, "dp_1", got.(*Dispute).ID) },
		},
		{
			name: "Disputes.SubmitEvidence staged only", method: "POST", path: "/v1/disputes/dp_1/evidence",
			wantBody: `{"submit":true}`, respond: disputeJSON,
			call:  func(c *Client) (any, error) { return c.Disputes.SubmitEvidence(ctx, "dp_1", nil) },
			check: func(t *testing.T, got any) { assert.Equal(t, "dp_1", got.(*Dispute).ID) },
		},
		{
			name: "Disputes.SubmitEvidence", method: "POST", path: "/v1/disputes/dp_1/evidence",
			wantBody: `{"evidence":{"uncategorized_text":"signed for"},"submit":true}`, respond: disputeJSON,
			call: func(c *Client) (any, error) {
				return c.Disputes.SubmitEvidence(ctx, "dp_1", &DisputeEvidence{UncategorizedText: "signed for"})
			},
			check: func(t *testing.T, got any) { assert.Equal(t, "dp_1", got.(*Dispute).ID) },
		},
		{
			name: "Disputes.Accept", method: "POST", path: "/v1/disputes/dp_1/accept", respond: disputeJSON,
			call:  func(c *Client) (any, error) { return c.Disputes.Accept(ctx, "dp_1") },
			check: func(t *testing.T, got any) { assert.Equal(t, "dp_1", got.(*Dispute).ID) },
		},
	})
}

// An evidence field over 20 000 characters is refused before sending, naming
// the field; characters, not bytes, count.
func TestDisputesService_evidenceLengthCheckedBeforeSending(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, mt, _ := newTestClient(t)
	var rec recorder
	mt.RegisterResponder("POST", testBaseURL+"/v1/disputes/dp_1/evidence", rec.handle(func(int, *http.Request) (*http.Response, error) {
		return rawJSONResponse(200, disputeJSON), nil
	}))
	long := &DisputeEvidence{RefundPolicy: strings.Repeat("a", MaxEvidenceLength+1)}
	for _, call := range []func() (*Dispute, error){
		func() (*Dispute, error) { return c.Disputes.UpdateEvidence(ctx, "dp_1", long) },
		func() (*Dispute, error) { return c.Disputes.SubmitEvidence(ctx, "dp_1", long) },
	} {
		_, err := call()
		var ve *ValidationError
		require.ErrorAs(t, err, &ve)
		assert.Equal(t, "evidence.refund_policy", ve.Field)
		assert.ErrorIs(t, err, ErrInvalidRequest)
	}
	_, err := c.Disputes.UpdateEvidence(ctx, "dp_1", nil)
	assert.ErrorAs(t, err, new(*ValidationError), "staging nothing is a mistake")
	_, err = c.Disputes.Accept(ctx, "pay_1")
	assert.ErrorAs(t, err, new(*ValidationError), "a payment id is not a dispute id")
	assert.Zero(t, rec.Count(), "nothing is sent")

	_, err = c.Disputes.UpdateEvidence(ctx, "dp_1", &DisputeEvidence{RefundPolicy: strings.Repeat("字", MaxEvidenceLength)})
	require.NoError(t, err, "20 000 characters of three bytes each fit")
	assert.Equal(t, 1, rec.Count())
}

func TestDisputesService_notOpenIsAConflictNamingTheDispute(t *testing.T) {
	t.Parallel()
	c, mt, _ := newTestClient(t)
	mt.RegisterResponder("POST", testBaseURL+"/v1/disputes/dp_1/accept", func(*http.Request) (*http.Response, error) {
		resp := rawJSONResponse(409, `{"type":"https://docs.tokenim.com/errors/dispute_not_open","title":"Dispute not open",
"status":409,"detail":"The dispute is lost.","code":"dispute_not_open","param":null,"request_id":"req_1","dispute_id":"dp_1"}`)
		resp.Header.Set("Content-Type", "application/problem+json")
		return resp, nil
	})
	_, err := c.Disputes.Accept(context.Background(), "dp_1")
	var apiErr *Error
	require.ErrorAs(t, err, &apiErr)
	assert.True(t, errors.Is(err, ErrConflict))
	assert.Equal(t, CodeDisputeNotOpen, apiErr.Code)
	assert.Equal(t, "dp_1", apiErr.DisputeID)
}

func TestEvent_Dispute(t *testing.T) {
	t.Parallel()
	ev := &Event{ID: "evt_1", Type: EventDisputeCreated, Data: EventData{Object: []byte(disputeJSON)}}
	d, err := ev.Dispute()
	require.NoError(t, err)
	assert.Equal(t, "dp_1", d.ID)
	_, err = (&Event{ID: "evt_2", Type: EventPaymentSucceeded, Data: EventData{Object: []byte(disputeJSON)}}).Dispute()
	assert.Error(t, err, "a payment event holds no dispute")
}

func dispute(id string, status DisputeStatus, due time.Time) *Dispute {
	return &Dispute{ID: id, Status: status, EvidenceDueBy: due}
}

func TestDisputeDeadlines_mostUrgentFirstAndNeverRevived(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	var dl DisputeDeadlines
	dl.Add(dispute("dp_late", DisputeStatusNeedsResponse, now.Add(72*time.Hour)))
	dl.Add(dispute("dp_soon", DisputeStatusNeedsResponse, now.Add(3*time.Hour)))
	dl.Add(dispute("dp_past", DisputeStatusNeedsResponse, now.Add(-time.Second)))
	dl.Add(dispute("dp_done", DisputeStatusUnderReview, now.Add(time.Hour)))
	// An answered dispute's older snapshot arriving late does not revive it.
	dl.Add(dispute("dp_done", DisputeStatusNeedsResponse, now.Add(time.Hour)))
	due := dl.Due(now)
	require.Len(t, due, 2)
	assert.Equal(t, "dp_soon", due[0].Dispute.ID)
	assert.Equal(t, 3*time.Hour, due[0].Left)
	assert.Equal(t, "dp_late", due[1].Dispute.ID)

	closed := &Event{ID: "evt_1", Type: EventDisputeClosed, Data: EventData{Object: []byte(
		`{"id":"dp_soon","object":"dispute","status":"lost","evidence_due_by":"2026-11-24T15:00:00Z"}`)}}
	require.NoError(t, dl.Observe(closed))
	require.NoError(t, dl.Observe(&Event{ID: "evt_2", Type: EventOrderPaid}), "other events are ignored")
	due = dl.Due(now)
	require.Len(t, due, 1)
	assert.Equal(t, "dp_late", due[0].Dispute.ID)
	assert.Error(t, dl.Observe(&Event{ID: "evt_3", Type: EventDisputeCreated, Data: EventData{Object: []byte(`[`)}}))
}

func TestDisputeDeadlines_concurrentObservers(t *testing.T) {
	t.Parallel()
	var dl DisputeDeadlines
	now := time.Now()
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dl.Add(dispute("dp_"+itoa(i), DisputeStatusNeedsResponse, now.Add(time.Duration(i+1)*time.Hour)))
			_ = dl.Due(now)
		}()
	}
	wg.Wait()
	assert.Len(t, dl.Due(now), 16)
}
