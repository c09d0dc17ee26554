// Command gencheck drives a client that oapi-codegen generated from
// api/openapi.yaml (package gen, written by .ci/spectools/run.sh and never
// committed) through a merchant's day against a running sandbox: orders,
// card payments, refunds, disputes, events, balance, settlements, keys,
// request logs and webhook endpoints, and some error answers. Every answer
// must come with the status the contract gives and decode into the generated
// type, so the document is one a third-party generator can be used with.
//
// Pointed at a `prism proxy --errors` in front of the sandbox, the same
// calls also have every request and answer validated against the document.
//
//	gencheck -base http://127.0.0.1:8420 -key sk_test_… -merchant mch_…
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"

	"gencheck/gen"
)

func main() {
	base := flag.String("base", "", "base URL of the sandbox (or of a proxy in front of it)")
	key := flag.String("key", os.Getenv("TOKENIM_API_KEY"), "sandbox API key (default $TOKENIM_API_KEY)")
	merchant := flag.String("merchant", os.Getenv("TOKENIM_MERCHANT_ID"), "merchant id (default $TOKENIM_MERCHANT_ID)")
	validOnly := flag.Bool("valid-requests-only", false, "send no request the document refuses (a validating proxy answers those itself)")
	flag.Parse()
	if *base == "" || *key == "" || *merchant == "" {
		fmt.Fprintln(os.Stderr, "gencheck: -base, -key and -merchant are required")
		os.Exit(2)
	}
	r := &run{validOnly: *validOnly}
	if err := r.day(context.Background(), *base, *key, *merchant); err != nil {
		fmt.Fprintln(os.Stderr, "gencheck:", err)
		os.Exit(1)
	}
	if r.failed > 0 {
		fmt.Printf("gencheck: %d of %d calls did not answer as the document says\n", r.failed, r.calls)
		os.Exit(1)
	}
	fmt.Printf("gencheck: %d calls answered and decoded as the document says\n", r.calls)
}

type run struct {
	calls, failed int
	validOnly     bool
}

// expect records one call: its answer must have status want and have been
// decoded (decoded is the generated response's typed field for want).
func (r *run) expect(name string, res *http.Response, body []byte, want int, decoded bool) bool {
	r.calls++
	switch {
	case res == nil:
		fmt.Printf("FAIL %s: no answer\n", name)
	case res.StatusCode != want:
		fmt.Printf("FAIL %s: status %d, want %d: %.300s\n", name, res.StatusCode, want, body)
	case !decoded:
		fmt.Printf("FAIL %s: %d did not decode into the generated type: %.300s\n", name, want, body)
	default:
		fmt.Printf("ok   %s: %d\n", name, want)
		return true
	}
	r.failed++
	return false
}

func newKey() *gen.IdempotencyKey {
	var b [12]byte
	_, _ = rand.Read(b[:])
	k := gen.IdempotencyKey("gencheck-" + hex.EncodeToString(b[:]))
	return &k
}

func (r *run) day(ctx context.Context, base, key, merchant string) error {
	auth := func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Tokenim-Merchant-Id", merchant)
		return nil
	}
	c, err := gen.NewClientWithResponses(base, gen.WithRequestEditorFn(auth),
		gen.WithHTTPClient(&http.Client{Timeout: 30 * time.Second}))
	if err != nil {
		return err
	}

	st, err := c.GetStatusWithResponse(ctx)
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	r.expect("GET /v1/status", st.HTTPResponse, st.Body, 200, st.JSON200 != nil)

	// Orders.
	ord, err := c.CreateOrderWithResponse(ctx, &gen.CreateOrderParams{IdempotencyKey: newKey()}, gen.OrderCreateParams{
		MerchantOrderId: gen.MerchantOrderId(*newKey()),
		Amount:          1999, Currency: "CNY",
	})
	if err != nil {
		return fmt.Errorf("create order: %w", err)
	}
	if !r.expect("POST /v1/orders", ord.HTTPResponse, ord.Body, 200, ord.JSON200 != nil) {
		return fmt.Errorf("cannot go on without an order")
	}
	orderID := ord.JSON200.Id
	og, err := c.GetOrderWithResponse(ctx, orderID)
	if err != nil {
		return err
	}
	r.expect("GET /v1/orders/{id}", og.HTTPResponse, og.Body, 200, og.JSON200 != nil)
	ol, err := c.ListOrdersWithResponse(ctx, &gen.ListOrdersParams{})
	if err != nil {
		return err
	}
	r.expect("GET /v1/orders", ol.HTTPResponse, ol.Body, 200, ol.JSON200 != nil && len(ol.JSON200.Data) > 0)
	missing, err := c.GetOrderWithResponse(ctx, "ord_gencheckmissing")
	if err != nil {
		return err
	}
	r.expect("GET /v1/orders/{id} (missing)", missing.HTTPResponse, missing.Body, 404, missing.ApplicationproblemJSON404 != nil)

	// A card payment.
	var method gen.PaymentMethodParams
	if err := method.FromCardMethodParams(gen.CardMethodParams{Type: gen.CardMethodParamsTypeCard,
		Card: gen.CardParams{Number: "4242424242424242", ExpMonth: 12, ExpYear: time.Now().Year() + 3, Cvc: "123"}}); err != nil {
		return err
	}
	pay, err := c.CreatePaymentWithResponse(ctx, &gen.CreatePaymentParams{IdempotencyKey: newKey()},
		gen.PaymentCreateParams{OrderId: orderID, Method: method})
	if err != nil {
		return fmt.Errorf("create payment: %w", err)
	}
	if !r.expect("POST /v1/payments", pay.HTTPResponse, pay.Body, 200, pay.JSON200 != nil) {
		return fmt.Errorf("cannot go on without a payment")
	}
	paymentID := pay.JSON200.Id
	pg, err := c.GetPaymentWithResponse(ctx, paymentID)
	if err != nil {
		return err
	}
	r.expect("GET /v1/payments/{id}", pg.HTTPResponse, pg.Body, 200, pg.JSON200 != nil)
	pl, err := c.ListPaymentsWithResponse(ctx, &gen.ListPaymentsParams{})
	if err != nil {
		return err
	}
	r.expect("GET /v1/payments", pl.HTTPResponse, pl.Body, 200, pl.JSON200 != nil)
	rc, err := c.GetPaymentReceiptWithResponse(ctx, paymentID)
	if err != nil {
		return err
	}
	r.expect("GET /v1/payments/{id}/receipt", rc.HTTPResponse, rc.Body, 200, rc.JSON200 != nil)

	// A declined card: 402 with a problem.
	ord2, err := c.CreateOrderWithResponse(ctx, &gen.CreateOrderParams{IdempotencyKey: newKey()}, gen.OrderCreateParams{
		MerchantOrderId: gen.MerchantOrderId(*newKey()), Amount: 500, Currency: "CNY"})
	if err != nil {
		return err
	}
	if r.expect("POST /v1/orders (second)", ord2.HTTPResponse, ord2.Body, 200, ord2.JSON200 != nil) {
		var declined gen.PaymentMethodParams
		_ = declined.FromCardMethodParams(gen.CardMethodParams{Type: gen.CardMethodParamsTypeCard,
			Card: gen.CardParams{Number: "4000000000000002", ExpMonth: 12, ExpYear: time.Now().Year() + 3, Cvc: "123"}})
		dp, err := c.CreatePaymentWithResponse(ctx, &gen.CreatePaymentParams{IdempotencyKey: newKey()},
			gen.PaymentCreateParams{OrderId: ord2.JSON200.Id, Method: declined})
		if err != nil {
			return err
		}
		r.expect("POST /v1/payments (declined)", dp.HTTPResponse, dp.Body, 402, dp.ApplicationproblemJSON402 != nil)
	}

	// A partial refund, then the sandbox clock moved on so it succeeds.
	amount := gen.Amount(500)
	ref, err := c.CreateRefundWithResponse(ctx, &gen.CreateRefundParams{IdempotencyKey: newKey()},
		gen.RefundCreateParams{PaymentId: paymentID, Amount: &amount})
	if err != nil {
		return err
	}
	if r.expect("POST /v1/refunds", ref.HTTPResponse, ref.Body, 200, ref.JSON200 != nil) {
		rg, err := c.GetRefundWithResponse(ctx, ref.JSON200.Id)
		if err != nil {
			return err
		}
		r.expect("GET /v1/refunds/{id}", rg.HTTPResponse, rg.Body, 200, rg.JSON200 != nil)
	}
	rl, err := c.ListRefundsWithResponse(ctx, &gen.ListRefundsParams{})
	if err != nil {
		return err
	}
	r.expect("GET /v1/refunds", rl.HTTPResponse, rl.Body, 200, rl.JSON200 != nil)
	adv, err := c.SandboxAdvanceClockWithResponse(ctx, gen.SandboxAdvanceClockJSONRequestBody{Seconds: 600})
	if err != nil {
		return err
	}
	r.expect("POST /_sandbox/clock/advance", adv.HTTPResponse, adv.Body, 200, adv.JSON200 != nil)

	// Events.
	el, err := c.ListEventsWithResponse(ctx, &gen.ListEventsParams{})
	if err != nil {
		return err
	}
	if r.expect("GET /v1/events", el.HTTPResponse, el.Body, 200, el.JSON200 != nil && len(el.JSON200.Data) > 0) {
		eg, err := c.GetEventWithResponse(ctx, el.JSON200.Data[0].Id)
		if err != nil {
			return err
		}
		r.expect("GET /v1/events/{id}", eg.HTTPResponse, eg.Body, 200, eg.JSON200 != nil)
	}

	// Three days on, the day's settlement has been paid.
	adv, err = c.SandboxAdvanceClockWithResponse(ctx, gen.SandboxAdvanceClockJSONRequestBody{Seconds: 3 * 86400})
	if err != nil {
		return err
	}
	r.expect("POST /_sandbox/clock/advance (three days)", adv.HTTPResponse, adv.Body, 200, adv.JSON200 != nil)
	bal, err := c.GetBalanceWithResponse(ctx)
	if err != nil {
		return err
	}
	r.expect("GET /v1/balance", bal.HTTPResponse, bal.Body, 200, bal.JSON200 != nil)
	btl, err := c.ListBalanceTransactionsWithResponse(ctx, &gen.ListBalanceTransactionsParams{})
	if err != nil {
		return err
	}
	if r.expect("GET /v1/balance_transactions", btl.HTTPResponse, btl.Body, 200, btl.JSON200 != nil && len(btl.JSON200.Data) > 0) {
		btg, err := c.GetBalanceTransactionWithResponse(ctx, btl.JSON200.Data[0].Id)
		if err != nil {
			return err
		}
		r.expect("GET /v1/balance_transactions/{id}", btg.HTTPResponse, btg.Body, 200, btg.JSON200 != nil)
	}
	sl, err := c.ListSettlementsWithResponse(ctx, &gen.ListSettlementsParams{})
	if err != nil {
		return err
	}
	if r.expect("GET /v1/settlements", sl.HTTPResponse, sl.Body, 200, sl.JSON200 != nil && len(sl.JSON200.Data) > 0) {
		id := sl.JSON200.Data[0].Id
		sg, err := c.GetSettlementWithResponse(ctx, id)
		if err != nil {
			return err
		}
		r.expect("GET /v1/settlements/{id}", sg.HTTPResponse, sg.Body, 200, sg.JSON200 != nil)
		sr, err := c.GetSettlementReportWithResponse(ctx, id)
		if err != nil {
			return err
		}
		r.expect("GET /v1/settlements/{id}/report", sr.HTTPResponse, sr.Body, 200, len(sr.Body) > 0)
	}

	// A dispute on the payment, once its money has been settled.
	dis, err := c.SandboxCreateDisputeWithResponse(ctx, gen.SandboxCreateDisputeJSONRequestBody{PaymentId: paymentID})
	if err != nil {
		return err
	}
	if r.expect("POST /_sandbox/disputes", dis.HTTPResponse, dis.Body, 200, dis.JSON200 != nil) {
		id := dis.JSON200.Id
		dg, err := c.GetDisputeWithResponse(ctx, id)
		if err != nil {
			return err
		}
		r.expect("GET /v1/disputes/{id}", dg.HTTPResponse, dg.Body, 200, dg.JSON200 != nil)
		text := "Signed delivery receipt attached."
		ev := gen.DisputeEvidenceParams{}
		ev.Evidence = &struct {
			CustomerCommunication  *string `json:"customer_communication,omitempty"`
			ProductDescription     *string `json:"product_description,omitempty"`
			RefundPolicy           *string `json:"refund_policy,omitempty"`
			ShippingTrackingNumber *string `json:"shipping_tracking_number,omitempty"`
			UncategorizedText      *string `json:"uncategorized_text,omitempty"`
		}{UncategorizedText: &text}
		de, err := c.UpdateDisputeEvidenceWithResponse(ctx, id, &gen.UpdateDisputeEvidenceParams{IdempotencyKey: newKey()}, ev)
		if err != nil {
			return err
		}
		r.expect("POST /v1/disputes/{id}/evidence", de.HTTPResponse, de.Body, 200, de.JSON200 != nil)
	}
	dl, err := c.ListDisputesWithResponse(ctx, &gen.ListDisputesParams{})
	if err != nil {
		return err
	}
	r.expect("GET /v1/disputes", dl.HTTPResponse, dl.Body, 200, dl.JSON200 != nil)

	// Keys and request logs.
	kl, err := c.ListAPIKeysWithResponse(ctx, &gen.ListAPIKeysParams{})
	if err != nil {
		return err
	}
	if r.expect("GET /v1/api_keys", kl.HTTPResponse, kl.Body, 200, kl.JSON200 != nil && len(kl.JSON200.Data) > 0) {
		kg, err := c.GetAPIKeyWithResponse(ctx, kl.JSON200.Data[0].Id)
		if err != nil {
			return err
		}
		r.expect("GET /v1/api_keys/{id}", kg.HTTPResponse, kg.Body, 200, kg.JSON200 != nil)
	}
	ll, err := c.ListRequestLogsWithResponse(ctx, &gen.ListRequestLogsParams{})
	if err != nil {
		return err
	}
	if r.expect("GET /v1/request_logs", ll.HTTPResponse, ll.Body, 200, ll.JSON200 != nil && len(ll.JSON200.Data) > 0) {
		lg, err := c.GetRequestLogWithResponse(ctx, ll.JSON200.Data[0].Id)
		if err != nil {
			return err
		}
		r.expect("GET /v1/request_logs/{id}", lg.HTTPResponse, lg.Body, 200, lg.JSON200 != nil)
	}

	// A webhook endpoint: created (with its secret), listed, rotated, deleted.
	var events gen.WebhookEventSelection
	if err := events.FromWebhookEventTypes(gen.WebhookEventTypes{"payment.succeeded", "refund.succeeded"}); err != nil {
		return err
	}
	we, err := c.CreateWebhookEndpointWithResponse(ctx, &gen.CreateWebhookEndpointParams{IdempotencyKey: newKey()},
		gen.WebhookEndpointCreateParams{Url: "http://127.0.0.1:9/gencheck", Events: events})
	if err != nil {
		return err
	}
	if r.expect("POST /v1/webhook_endpoints", we.HTTPResponse, we.Body, 200, we.JSON200 != nil) {
		id := we.JSON200.Id
		wg, err := c.GetWebhookEndpointWithResponse(ctx, id)
		if err != nil {
			return err
		}
		r.expect("GET /v1/webhook_endpoints/{id}", wg.HTTPResponse, wg.Body, 200, wg.JSON200 != nil)
		// §10: resend an event to it, then read its deliveries and what is
		// still pending for it.
		evs, err := c.ListEventsWithResponse(ctx, &gen.ListEventsParams{Type: ptr(gen.EventType("payment.succeeded"))})
		if err != nil {
			return err
		}
		if r.expect("GET /v1/events?type=payment.succeeded", evs.HTTPResponse, evs.Body, 200, evs.JSON200 != nil && len(evs.JSON200.Data) > 0) {
			rs, err := c.ResendEventWithResponse(ctx, evs.JSON200.Data[0].Id, &gen.ResendEventParams{IdempotencyKey: newKey()},
				gen.ResendEventJSONRequestBody{WebhookEndpoint: id})
			if err != nil {
				return err
			}
			if r.expect("POST /v1/events/{id}/resend", rs.HTTPResponse, rs.Body, 202, rs.JSON202 != nil) {
				dg, err := c.GetWebhookDeliveryWithResponse(ctx, id, rs.JSON202.Id)
				if err != nil {
					return err
				}
				r.expect("GET /v1/webhook_endpoints/{id}/deliveries/{delivery_id}", dg.HTTPResponse, dg.Body, 200, dg.JSON200 != nil)
			}
			dl, err := c.ListWebhookDeliveriesWithResponse(ctx, id, &gen.ListWebhookDeliveriesParams{})
			if err != nil {
				return err
			}
			r.expect("GET /v1/webhook_endpoints/{id}/deliveries", dl.HTTPResponse, dl.Body, 200, dl.JSON200 != nil && len(dl.JSON200.Data) > 0)
			pf, err := c.ListEventsWithResponse(ctx, &gen.ListEventsParams{PendingFor: &id})
			if err != nil {
				return err
			}
			r.expect("GET /v1/events?pending_for=", pf.HTTPResponse, pf.Body, 200, pf.JSON200 != nil)
		}
		wr, err := c.RotateWebhookEndpointSecretWithResponse(ctx, id, &gen.RotateWebhookEndpointSecretParams{IdempotencyKey: newKey()},
			gen.RotateWebhookEndpointSecretJSONRequestBody{})
		if err != nil {
			return err
		}
		r.expect("POST /v1/webhook_endpoints/{id}/rotate_secret", wr.HTTPResponse, wr.Body, 200, wr.JSON200 != nil)
		wd, err := c.DeleteWebhookEndpointWithResponse(ctx, id)
		if err != nil {
			return err
		}
		r.expect("DELETE /v1/webhook_endpoints/{id}", wd.HTTPResponse, wd.Body, 200, wd.JSON200 != nil)
	}
	wl, err := c.ListWebhookEndpointsWithResponse(ctx, &gen.ListWebhookEndpointsParams{})
	if err != nil {
		return err
	}
	r.expect("GET /v1/webhook_endpoints", wl.HTTPResponse, wl.Body, 200, wl.JSON200 != nil)

	// Validation errors decode as problems too.
	if r.validOnly {
		return nil
	}
	bad, err := c.CreateOrderWithResponse(ctx, &gen.CreateOrderParams{IdempotencyKey: newKey()},
		gen.OrderCreateParams{MerchantOrderId: "gencheck-bad", Amount: 10, Currency: "XXX"})
	if err != nil {
		return err
	}
	r.expect("POST /v1/orders (bad currency)", bad.HTTPResponse, bad.Body, 400, bad.ApplicationproblemJSON400 != nil)
	return nil
}

func ptr[T any](v T) *T { return &v }
