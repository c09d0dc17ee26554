package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	tokenim "github.com/tokenim/tokenim-go"
)

// Sandbox test cards (docs/tokenim-api.md §6).
const (
	cardSucceeds     = "4242424242424242"
	cardDeclined     = "4000000000000002"
	cardRequires3DS  = "4000002760003184"
	sandboxOTP       = "000000"
	triggerAmount    = 1999
	triggerCurrency  = "CNY"
	refundFailAmount = 1013 // a full refund of it ends in 13: refund_declined
	refundFailPart   = 13   // a partial refund of an existing payment that ends in 13
	// cardDisputed succeeds, then a fraudulent dispute opens an hour of
	// sandbox time later (docs/tokenim-api.md §8).
	cardDisputed = "4000000000000259"
)

// scenarios maps each event type to the calls that make a sandbox emit it.
var scenarios = map[tokenim.EventType]func(t *triggerer) error{
	tokenim.EventOrderPaid:              (*triggerer).paidOrder,
	tokenim.EventPaymentSucceeded:       (*triggerer).paidOrder,
	tokenim.EventPaymentFailed:          (*triggerer).declinedPayment,
	tokenim.EventPaymentRequiresAction:  (*triggerer).requiresAction,
	tokenim.EventPaymentCanceled:        (*triggerer).canceledPayment,
	tokenim.EventOrderCanceled:          (*triggerer).canceledOrder,
	tokenim.EventOrderExpired:           (*triggerer).expiredOrder,
	tokenim.EventRefundSucceeded:        (*triggerer).succeededRefund,
	tokenim.EventOrderRefunded:          (*triggerer).succeededRefund,
	tokenim.EventRefundFailed:           (*triggerer).failedRefund,
	tokenim.EventDisputeCreated:         (*triggerer).openedDispute,
	tokenim.EventDisputeUpdated:         (*triggerer).stagedEvidence,
	tokenim.EventDisputeEvidenceDueSoon: (*triggerer).disputeDueSoon,
	tokenim.EventDisputeClosed:          (*triggerer).acceptedDispute,
	tokenim.EventSettlementPaid:         (*triggerer).settlement,
}

func triggerTypes() []string {
	var names []string
	for t := range scenarios {
		names = append(names, string(t))
	}
	slices.Sort(names)
	return names
}

func cmdTrigger(e *env, args []string) error {
	fs := newFlagSet("trigger", `Drive a sandbox through the API calls that produce an event, printing each
call and the objects it made, then the events that resulted. It needs a
sandbox (a sk_test_ key and a --base-url that serves /_sandbox/); it moves the
sandbox clock for order.expired and the refund events.

--override object.field=value sets a field of an object the trigger creates
(order.amount=5000, order.metadata.k=v, payment.metadata.k=v,
refund.amount=500), in the key=value form of 'tokenim post'. --order uses an
existing open order instead of creating one; --payment refunds an existing
succeeded payment.

Usage:
  tokenim trigger <event-type> [flags]

Event types:
  `+strings.Join(triggerTypes(), "\n  "))
	cfg := addConfigFlags(fs)
	var overrides pairsFlag
	fs.Var(&overrides, "override", "set a field of an object the trigger creates: the `pair` object.field=value (order.amount=5000, payment.metadata.k=v, refund.amount=500), in the key=value form of tokenim post; repeat it")
	orderID := fs.String("order", "", "the `id` of an open order to use instead of creating one (order.paid, order.canceled, order.expired, payment.*)")
	paymentID := fs.String("payment", "", "the `id` of a succeeded payment to refund instead of creating one (refund.succeeded, refund.failed, order.refunded)")
	pos, err := fs.parse(e, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("trigger", "trigger takes one event type, one of: %s", strings.Join(triggerTypes(), ", "))
	}
	typ := tokenim.EventType(pos[0])
	scenario, ok := scenarios[typ]
	if !ok {
		if hint := didYouMean(pos[0], triggerTypes()); hint != "" {
			return usagef("trigger", "unknown event type %q%s", pos[0], hint)
		}
		return usagef("trigger", "unknown event type %q; valid types: %s", pos[0], strings.Join(triggerTypes(), ", "))
	}
	ov, err := parseOverrides(typ, overrides, *orderID, *paymentID)
	if err != nil {
		return err
	}
	c, err := cfg.client(e, "trigger")
	if err != nil {
		return err
	}
	if !strings.HasPrefix(cfg.apiKey, "sk_test_") {
		return usagef("trigger", "trigger only drives a sandbox: use a sk_test_ key")
	}
	t := &triggerer{
		ctx:  e.ctx,
		c:    c,
		base: cfg.effectiveBaseURL(),
		out:  e.stdout,
		hc:   &http.Client{Timeout: 30 * time.Second},

		overrides: ov, orderID: *orderID, paymentID: *paymentID,
	}
	defer t.hc.CloseIdleConnections()

	// The sandbox clock gives the order expiry and card expiry, and checks
	// up front that --base-url is a sandbox.
	if t.now, err = t.sandboxNow(); err != nil {
		return err
	}
	// Events from before this trigger are not its own.
	mark, err := t.newestEventID()
	if err != nil {
		return err
	}
	if mark == "" {
		t.step("GET /v1/events?limit=1", "no events yet")
	} else {
		t.step("GET /v1/events?limit=1", mark+" (the newest before this trigger)")
	}
	if err := scenario(t); err != nil {
		return err
	}
	events, err := t.eventsSince(mark)
	if err != nil {
		return err
	}
	t.step("GET /v1/events", fmt.Sprintf("%d new events", len(events)))
	found := false
	for _, ev := range events {
		fmt.Fprintf(t.out, "event   %s  %s\n", ev.ID, ev.Type)
		found = found || ev.Type == typ
	}
	if !found {
		return fmt.Errorf("trigger %s: the calls succeeded but no %s event appeared in /v1/events", typ, typ)
	}
	return nil
}

// triggerer makes the calls of one trigger and prints each.
type triggerer struct {
	ctx  context.Context
	c    *tokenim.Client
	base string
	out  io.Writer
	hc   *http.Client
	now  time.Time // sandbox time at the start

	overrides map[string]map[string]any // "order", "payment", "refund" -> fields
	orderID   string                    // --order: the open order to use
	paymentID string                    // --payment: the succeeded payment to refund
}

func (t *triggerer) step(call, result string) {
	fmt.Fprintf(t.out, "%-36s -> %s\n", call, result)
}

func (t *triggerer) order(amount int64, expiresAt *time.Time) (*tokenim.Order, error) {
	if t.orderID != "" {
		return t.existingOrder()
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	body := map[string]any{
		"merchant_order_id": "cli-trigger-" + hex.EncodeToString(b[:]),
		"amount":            amount,
		"currency":          triggerCurrency,
		"description":       "created by tokenim trigger",
	}
	if expiresAt != nil {
		body["expires_at"] = expiresAt.UTC().Format(time.RFC3339)
	}
	var o tokenim.Order
	if err := t.post("/v1/orders", "order", body, &o); err != nil {
		return nil, err
	}
	t.step("POST /v1/orders", fmt.Sprintf("%s (%s, %s)", o.ID, o.Status, money(o.Amount, o.Currency)))
	return &o, nil
}

// existingOrder reads the --order order, which must be open.
func (t *triggerer) existingOrder() (*tokenim.Order, error) {
	call := "GET /v1/orders/" + t.orderID
	o, err := t.c.Orders.Get(t.ctx, t.orderID)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", call, err)
	}
	t.step(call, fmt.Sprintf("%s (%s, %s)", o.ID, o.Status, money(o.Amount, o.Currency)))
	if o.Status != tokenim.OrderStatusOpen {
		return nil, fmt.Errorf("--order %s is %s: this trigger needs an open order", o.ID, o.Status)
	}
	return o, nil
}

// post POSTs body with the --override fields of object merged over it and
// decodes the answer into v. The call carries a fresh idempotency key.
func (t *triggerer) post(path, object string, body map[string]any, v any) error {
	mergeInto(body, t.overrides[object])
	req, err := t.c.NewRequest(t.ctx, http.MethodPost, path, body)
	if err != nil {
		return fmt.Errorf("POST %s: %w", path, err)
	}
	if _, err := t.c.Do(req, v); err != nil {
		return fmt.Errorf("POST %s: %w", path, err)
	}
	return nil
}

// pay pays o with card; a decline is returned as the error.
func (t *triggerer) pay(o *tokenim.Order, card string) (*tokenim.Payment, error) {
	body := map[string]any{
		"order_id": o.ID,
		"method": map[string]any{"type": "card", "card": map[string]any{
			"number": card, "exp_month": 12, "exp_year": t.now.Year() + 3, "cvc": "123",
		}},
	}
	mergeInto(body, t.overrides["payment"])
	req, err := t.c.NewRequest(t.ctx, http.MethodPost, "/v1/payments", body)
	if err != nil {
		return nil, err
	}
	var p tokenim.Payment
	if _, err := t.c.Do(req, &p); err != nil {
		return nil, err
	}
	t.step("POST /v1/payments", fmt.Sprintf("%s (%s)", p.ID, p.Status))
	return &p, nil
}

func (t *triggerer) paidPayment(amount int64) (*tokenim.Payment, error) {
	o, err := t.order(amount, nil)
	if err != nil {
		return nil, err
	}
	p, err := t.pay(o, cardSucceeds)
	if err != nil {
		return nil, fmt.Errorf("POST /v1/payments: %w", err)
	}
	if p.Status != tokenim.PaymentStatusSucceeded {
		return nil, fmt.Errorf("POST /v1/payments: payment %s is %s, want succeeded", p.ID, p.Status)
	}
	return p, nil
}

func (t *triggerer) paidOrder() error {
	_, err := t.paidPayment(triggerAmount)
	return err
}

func (t *triggerer) declinedPayment() error {
	o, err := t.order(triggerAmount, nil)
	if err != nil {
		return err
	}
	_, err = t.pay(o, cardDeclined)
	var apiErr *tokenim.Error
	if !errors.As(err, &apiErr) || !tokenim.IsDeclined(err) {
		if err == nil {
			err = errors.New("the declined test card was accepted")
		}
		return fmt.Errorf("POST /v1/payments: %w", err)
	}
	t.step("POST /v1/payments", fmt.Sprintf("%s (failed, %d %s %s)", apiErr.PaymentID, apiErr.HTTPStatus, apiErr.Code, apiErr.DeclineCode))
	return nil
}

func (t *triggerer) actionPayment() (*tokenim.Payment, error) {
	o, err := t.order(triggerAmount, nil)
	if err != nil {
		return nil, err
	}
	p, err := t.pay(o, cardRequires3DS)
	if err != nil {
		return nil, fmt.Errorf("POST /v1/payments: %w", err)
	}
	if p.Status != tokenim.PaymentStatusRequiresAction {
		return nil, fmt.Errorf("POST /v1/payments: payment %s is %s, want requires_action", p.ID, p.Status)
	}
	return p, nil
}

func (t *triggerer) requiresAction() error {
	_, err := t.actionPayment()
	return err
}

func (t *triggerer) canceledPayment() error {
	p, err := t.actionPayment()
	if err != nil {
		return err
	}
	call := "POST /v1/payments/" + p.ID + "/cancel"
	canceled, err := t.c.Payments.Cancel(t.ctx, p.ID)
	if err != nil {
		return fmt.Errorf("%s: %w", call, err)
	}
	t.step(call, fmt.Sprintf("%s (%s)", canceled.ID, canceled.Status))
	return nil
}

func (t *triggerer) canceledOrder() error {
	o, err := t.order(triggerAmount, nil)
	if err != nil {
		return err
	}
	call := "POST /v1/orders/" + o.ID + "/cancel"
	canceled, err := t.c.Orders.Cancel(t.ctx, o.ID)
	if err != nil {
		return fmt.Errorf("%s: %w", call, err)
	}
	t.step(call, fmt.Sprintf("%s (%s)", canceled.ID, canceled.Status))
	return nil
}

func (t *triggerer) expiredOrder() error {
	if t.orderID != "" {
		o, err := t.existingOrder()
		if err != nil {
			return err
		}
		now, err := t.sandboxNow()
		if err != nil {
			return err
		}
		// Move the clock just past the order's own expiry.
		if err := t.advance(int(max(o.ExpiresAt.Sub(now), 0)/time.Second) + 5); err != nil {
			return err
		}
		return t.showOrder(o.ID)
	}
	// The shortest allowed expiry is one minute of sandbox time; a few
	// seconds more absorb the real time between reading the clock and
	// creating the order (a running sandbox clock keeps moving).
	now, err := t.sandboxNow()
	if err != nil {
		return err
	}
	at := now.Add(time.Minute + 5*time.Second).Truncate(time.Second)
	o, err := t.order(triggerAmount, &at)
	if err != nil {
		return err
	}
	if err := t.advance(120); err != nil {
		return err
	}
	return t.showOrder(o.ID)
}

func (t *triggerer) showOrder(id string) error {
	o, err := t.c.Orders.Get(t.ctx, id)
	if err != nil {
		return fmt.Errorf("GET /v1/orders/%s: %w", id, err)
	}
	t.step("GET /v1/orders/"+id, fmt.Sprintf("%s (%s)", o.ID, o.Status))
	return nil
}

// refund refunds a payment of amount in full, or with --payment that
// payment: in full, or for fail, a part ending in 13 (docs/tokenim-api.md §6).
func (t *triggerer) refund(amount int64, fail bool) error {
	body := map[string]any{"reason": string(tokenim.RefundReasonRequestedByCustomer)}
	var p *tokenim.Payment
	var err error
	if t.paymentID != "" {
		call := "GET /v1/payments/" + t.paymentID
		if p, err = t.c.Payments.Get(t.ctx, t.paymentID); err != nil {
			return fmt.Errorf("%s: %w", call, err)
		}
		t.step(call, fmt.Sprintf("%s (%s, %s)", p.ID, p.Status, money(p.Amount, p.Currency)))
		if p.Status != tokenim.PaymentStatusSucceeded {
			return fmt.Errorf("--payment %s is %s: a refund needs a succeeded payment", p.ID, p.Status)
		}
		if fail {
			body["amount"] = refundFailPart
		}
	} else if p, err = t.paidPayment(amount); err != nil {
		return err
	}
	body["payment_id"] = p.ID
	var r tokenim.Refund
	if err := t.post("/v1/refunds", "refund", body, &r); err != nil {
		return err
	}
	t.step("POST /v1/refunds", fmt.Sprintf("%s (%s, %s)", r.ID, r.Status, money(r.Amount, r.Currency)))
	if err := t.advance(300); err != nil {
		return err
	}
	settled, err := t.c.Refunds.Get(t.ctx, r.ID)
	if err != nil {
		return fmt.Errorf("GET /v1/refunds/%s: %w", r.ID, err)
	}
	t.step("GET /v1/refunds/"+r.ID, fmt.Sprintf("%s (%s)", settled.ID, settled.Status))
	return t.showOrder(p.OrderID)
}

func (t *triggerer) succeededRefund() error { return t.refund(triggerAmount, false) }
func (t *triggerer) failedRefund() error    { return t.refund(refundFailAmount, true) }

// dispute pays with the dispute test card and moves the sandbox clock the
// hour after which its dispute opens.
func (t *triggerer) dispute() (*tokenim.Dispute, error) {
	o, err := t.order(triggerAmount, nil)
	if err != nil {
		return nil, err
	}
	p, err := t.pay(o, cardDisputed)
	if err != nil {
		return nil, fmt.Errorf("POST /v1/payments: %w", err)
	}
	if err := t.advance(3600); err != nil {
		return nil, err
	}
	l, err := t.c.Disputes.List(t.ctx, &tokenim.DisputeListParams{PaymentID: p.ID})
	if err != nil {
		return nil, fmt.Errorf("GET /v1/disputes: %w", err)
	}
	if len(l.Data) == 0 {
		return nil, fmt.Errorf("GET /v1/disputes: no dispute opened on %s", p.ID)
	}
	d := l.Data[0]
	t.step("GET /v1/disputes?payment_id="+p.ID, fmt.Sprintf("%s (%s, due %s)", d.ID, d.Status, ts(&d.EvidenceDueBy)))
	return d, nil
}

func (t *triggerer) openedDispute() error {
	_, err := t.dispute()
	return err
}

func (t *triggerer) stagedEvidence() error {
	d, err := t.dispute()
	if err != nil {
		return err
	}
	call := "POST /v1/disputes/" + d.ID + "/evidence"
	d, err = t.c.Disputes.UpdateEvidence(t.ctx, d.ID, &tokenim.DisputeEvidence{ProductDescription: "staged by tokenim trigger"})
	if err != nil {
		return fmt.Errorf("%s: %w", call, err)
	}
	t.step(call, fmt.Sprintf("%s (%s)", d.ID, d.Status))
	return nil
}

func (t *triggerer) disputeDueSoon() error {
	d, err := t.dispute()
	if err != nil {
		return err
	}
	// 48 hours before evidence_due_by, which is 7 days after opening.
	if err := t.advance(5 * 24 * 3600); err != nil {
		return err
	}
	call := "GET /v1/disputes/" + d.ID
	if d, err = t.c.Disputes.Get(t.ctx, d.ID); err != nil {
		return fmt.Errorf("%s: %w", call, err)
	}
	t.step(call, fmt.Sprintf("%s (%s)", d.ID, d.Status))
	return nil
}

func (t *triggerer) acceptedDispute() error {
	d, err := t.dispute()
	if err != nil {
		return err
	}
	call := "POST /v1/disputes/" + d.ID + "/accept"
	d, err = t.c.Disputes.Accept(t.ctx, d.ID)
	if err != nil {
		return fmt.Errorf("%s: %w", call, err)
	}
	t.step(call, fmt.Sprintf("%s (%s)", d.ID, d.Status))
	return nil
}

// control calls the sandbox control API and decodes its answer into v.
func (t *triggerer) control(method, path string, body any, v any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(t.ctx, method, t.base+path, rd)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := t.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: HTTP %d (is %s a tokenim sandbox?)", method, path, resp.StatusCode, t.base)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%s %s: the answer is not sandbox JSON (is %s a tokenim sandbox?)", method, path, t.base)
	}
	return nil
}

func (t *triggerer) sandboxNow() (time.Time, error) {
	var clock struct {
		Now time.Time `json:"now"`
	}
	if err := t.control(http.MethodGet, "/_sandbox/clock", nil, &clock); err != nil {
		return time.Time{}, err
	}
	t.step("GET /_sandbox/clock", "now "+ts(&clock.Now))
	return clock.Now, nil
}

func (t *triggerer) advance(seconds int) error {
	var ans struct {
		Now time.Time `json:"now"`
	}
	if err := t.control(http.MethodPost, "/_sandbox/clock/advance", map[string]int{"seconds": seconds}, &ans); err != nil {
		return err
	}
	t.step(fmt.Sprintf("POST /_sandbox/clock/advance %ds", seconds), "now "+ts(&ans.Now))
	return nil
}

func (t *triggerer) newestEventID() (string, error) {
	l, err := t.c.Events.List(t.ctx, &tokenim.EventListParams{ListParams: tokenim.ListParams{Limit: 1}})
	if err != nil {
		return "", fmt.Errorf("GET /v1/events: %w", err)
	}
	if len(l.Data) == 0 {
		return "", nil
	}
	return l.Data[0].ID, nil
}

// eventsSince returns the events newer than the event mark, oldest first.
func (t *triggerer) eventsSince(mark string) ([]*tokenim.Event, error) {
	var events []*tokenim.Event
	for ev, err := range t.c.Events.All(t.ctx, &tokenim.EventListParams{ListParams: tokenim.ListParams{Limit: 100}}) {
		if err != nil {
			return nil, fmt.Errorf("GET /v1/events: %w", err)
		}
		if ev.ID == mark {
			break
		}
		events = append(events, ev)
	}
	slices.Reverse(events)
	return events, nil
}

// Which triggers take an existing object (--order, --payment), and which
// objects each trigger creates, for --override to be checked before any
// call is made.
var (
	orderTriggers = []tokenim.EventType{
		tokenim.EventOrderPaid, tokenim.EventPaymentSucceeded, tokenim.EventPaymentFailed, tokenim.EventPaymentRequiresAction,
		tokenim.EventPaymentCanceled, tokenim.EventOrderCanceled, tokenim.EventOrderExpired,
	}
	paymentTriggers = []tokenim.EventType{tokenim.EventRefundSucceeded, tokenim.EventOrderRefunded, tokenim.EventRefundFailed}
)

// createdObjects lists the objects trigger typ creates, given --order and
// --payment.
func createdObjects(typ tokenim.EventType, orderID, paymentID string) []string {
	var objs []string
	if orderID == "" && paymentID == "" {
		objs = append(objs, "order")
	}
	if typ != tokenim.EventOrderCanceled && typ != tokenim.EventOrderExpired && paymentID == "" {
		objs = append(objs, "payment")
	}
	if slices.Contains(paymentTriggers, typ) {
		objs = append(objs, "refund")
	}
	return objs
}

func eventTypeList(ts []tokenim.EventType) string {
	var names []string
	for _, t := range ts {
		names = append(names, string(t))
	}
	return strings.Join(names, ", ")
}

// parseOverrides checks --order, --payment and --override for trigger typ
// and returns the override fields per object.
func parseOverrides(typ tokenim.EventType, pairs []string, orderID, paymentID string) (map[string]map[string]any, error) {
	switch {
	case orderID != "" && paymentID != "":
		return nil, usagef("trigger", "give --order or --payment, not both")
	case orderID != "" && !slices.Contains(orderTriggers, typ):
		return nil, usagef("trigger", "--order does not apply to %s; it does to %s", typ, eventTypeList(orderTriggers))
	case paymentID != "" && !slices.Contains(paymentTriggers, typ):
		return nil, usagef("trigger", "--payment does not apply to %s; it does to %s", typ, eventTypeList(paymentTriggers))
	case orderID != "" && !strings.HasPrefix(orderID, "ord_"):
		return nil, usagef("trigger", "--order must be an order id, ord_…, got %q", orderID)
	case paymentID != "" && !strings.HasPrefix(paymentID, "pay_"):
		return nil, usagef("trigger", "--payment must be a payment id, pay_…, got %q", paymentID)
	}
	made := createdObjects(typ, orderID, paymentID)
	out := map[string]map[string]any{}
	for _, pair := range pairs {
		key, _, _ := strings.Cut(pair, "=")
		parts, err := splitKey(key)
		if err != nil {
			return nil, formError("--override trigger", pair, "%v", err)
		}
		obj := parts[0]
		switch {
		case len(parts) < 2 || !slices.Contains([]string{"order", "payment", "refund"}, obj):
			return nil, formError("--override trigger", pair, "name the object and its field, as order.amount=5000, payment.metadata.k=v or refund.amount=500")
		case !slices.Contains(made, obj):
			return nil, formError("--override trigger", pair, "trigger %s makes no %s here (it makes: %s)", typ, obj, strings.Join(made, ", "))
		}
		if out[obj] == nil {
			out[obj] = map[string]any{}
		}
		if err := setPair(wrap(out, obj), "--override trigger", pair); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// wrap presents out[obj] as {obj: fields}, the shape setPair fills.
func wrap(out map[string]map[string]any, obj string) map[string]any {
	return map[string]any{obj: out[obj]}
}
