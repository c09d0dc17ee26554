package sandbox

// The dashboard's "trigger an event": the sandbox makes, as the merchant,
// the same /v1/ calls a program would (and `tokenim trigger` does) until
// the event is emitted. The calls go through ServeHTTP, so they obey faults,
// maintenance and restrictions and show in the request log.

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Sandbox test cards (docs/tokenim-api.md §6).
const (
	triggerCardOK       = "4242424242424242"
	triggerCardDecline  = "4000000000000002"
	triggerCard3DS      = "4000002760003184"
	triggerCardDisputed = "4000000000000259" // disputed (fraudulent) an hour after it succeeds
	triggerAmount       = 1999
	triggerRefundFails  = 1013 // a refund of an amount ending in 13 fails
)

// triggerSteps maps each event type to the calls that make it happen.
var triggerSteps = map[string]func(t *selfCaller) error{
	"order.paid":              func(t *selfCaller) error { _, err := t.paid(triggerAmount); return err },
	"payment.succeeded":       func(t *selfCaller) error { _, err := t.paid(triggerAmount); return err },
	"payment.failed":          func(t *selfCaller) error { _, err := t.pay(triggerCardDecline, 402); return err },
	"payment.requires_action": func(t *selfCaller) error { _, err := t.pay(triggerCard3DS, 200); return err },
	"payment.canceled": func(t *selfCaller) error {
		id, err := t.pay(triggerCard3DS, 200)
		if err != nil {
			return err
		}
		_, err = t.call("POST", "/v1/payments/"+id+"/cancel", nil, 200)
		return err
	},
	"order.canceled": func(t *selfCaller) error {
		id, err := t.order(triggerAmount, "")
		if err != nil {
			return err
		}
		_, err = t.call("POST", "/v1/orders/"+id+"/cancel", nil, 200)
		return err
	},
	"order.expired": func(t *selfCaller) error {
		at := t.s.clock.Now().Add(time.Minute + 5*time.Second).UTC().Truncate(time.Second)
		if _, err := t.order(triggerAmount, at.Format(time.RFC3339)); err != nil {
			return err
		}
		t.s.Advance(2 * time.Minute)
		return nil
	},
	"dispute.created": func(t *selfCaller) error {
		oid, err := t.order(triggerAmount, "")
		if err != nil {
			return err
		}
		if _, err := t.payOrder(oid, triggerCardDisputed, 200); err != nil {
			return err
		}
		t.s.Advance(testDisputeDelay)
		return nil
	},
	"settlement.paid": func(t *selfCaller) error {
		if _, err := t.paid(triggerAmount); err != nil {
			return err
		}
		// Available a day later, paid out at the next 00:00 UTC after that.
		t.s.Advance(availableAfter + 24*time.Hour)
		return nil
	},
	"refund.succeeded": func(t *selfCaller) error { return t.refund(triggerAmount) },
	"order.refunded":   func(t *selfCaller) error { return t.refund(triggerAmount) },
	"refund.failed":    func(t *selfCaller) error { return t.refund(triggerRefundFails) },
}

func triggerTypes() []string {
	out := make([]string, 0, len(triggerSteps))
	for k := range triggerSteps {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// trigger makes merchant id (whose key is key) emit an event of typ and
// returns the ids of the objects it made.
func (s *Sandbox) trigger(id, key, typ string) ([]string, error) {
	steps, ok := triggerSteps[typ]
	if !ok {
		return nil, errors.New("not an event type the dashboard can trigger; use one of " + strings.Join(triggerTypes(), ", "))
	}
	t := &selfCaller{s: s, merchantID: id, key: key}
	if err := steps(t); err != nil {
		return t.made, err
	}
	return t.made, nil
}

// selfCaller makes /v1/ calls to its own sandbox in-process.
type selfCaller struct {
	s          *Sandbox
	merchantID string
	key        string
	made       []string
}

// call makes one request and wants the status want; it returns the id of
// the object answered (or of the payment a decline names).
func (t *selfCaller) call(method, path string, body any, want int) (string, error) {
	var rd *strings.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = strings.NewReader(string(raw))
	} else {
		rd = strings.NewReader("")
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("Authorization", "Bearer "+t.key)
	req.Header.Set("Tokenim-Merchant-Id", t.merchantID)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	t.s.ServeHTTP(rec, req)
	var ans struct {
		ID        string `json:"id"`
		PaymentID string `json:"payment_id"`
		Code      string `json:"code"`
		Detail    string `json:"detail"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &ans)
	if rec.Code != want {
		if rec.Code == http.StatusUnauthorized {
			// The sandbox keeps only digests of rolled keys: it can call as
			// the merchant only with the key it was configured with.
			return "", errors.New(method + " " + path + ": the merchant's configured API key is no longer active (rolled or expired); run `tokenim trigger` with the current key instead")
		}
		if rec.Code == 0 || rec.Body.Len() == 0 {
			return "", errors.New(method + " " + path + ": no answer (a fault plan dropped it?)")
		}
		return "", errors.New(method + " " + path + ": " + strconv.Itoa(rec.Code) + " " + ans.Code + ": " + ans.Detail)
	}
	id := ans.ID
	if id == "" {
		id = ans.PaymentID
	}
	if id != "" && !slices.Contains(t.made, id) {
		t.made = append(t.made, id)
	}
	return id, nil
}

func (t *selfCaller) order(amount int64, expiresAt string) (string, error) {
	body := map[string]any{
		"merchant_order_id": "dashboard-" + t.s.randomID(12),
		"amount":            amount, "currency": "CNY", "description": "created by the sandbox dashboard's trigger",
	}
	if expiresAt != "" {
		body["expires_at"] = expiresAt
	}
	return t.call(http.MethodPost, "/v1/orders", body, 200)
}

// pay pays a new order with card and wants the status want (402 for a decline).
func (t *selfCaller) pay(card string, want int) (string, error) {
	oid, err := t.order(triggerAmount, "")
	if err != nil {
		return "", err
	}
	return t.payOrder(oid, card, want)
}

func (t *selfCaller) payOrder(oid, card string, want int) (string, error) {
	return t.call(http.MethodPost, "/v1/payments", map[string]any{
		"order_id": oid,
		"method": map[string]any{"type": "card", "card": map[string]any{
			"number": card, "exp_month": 12, "exp_year": t.s.clock.Now().Year() + 3, "cvc": "123"}},
	}, want)
}

func (t *selfCaller) paid(amount int64) (string, error) {
	oid, err := t.order(amount, "")
	if err != nil {
		return "", err
	}
	return t.payOrder(oid, triggerCardOK, 200)
}

// refund pays amount, refunds all of it and moves the clock until the
// refund settles.
func (t *selfCaller) refund(amount int64) error {
	pid, err := t.paid(amount)
	if err != nil {
		return err
	}
	if _, err := t.call(http.MethodPost, "/v1/refunds", map[string]any{"payment_id": pid, "reason": "requested_by_customer"}, 200); err != nil {
		return err
	}
	t.s.Advance(refundSettleDelay)
	return nil
}
