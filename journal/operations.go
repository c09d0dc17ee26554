package journal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	tokenim "github.com/tokenim/tokenim-go"
)

// The built-in operation kinds.
const (
	KindPayment = "payment"
	KindRefund  = "refund"
)

// paymentIntent is what the journal stores of a payment: the card is
// reduced to what the platform itself shows of it, so no card number or
// CVC ever reaches the database.
type paymentIntent struct {
	OrderID  string                     `json:"order_id"`
	Method   tokenim.PaymentMethodType  `json:"method"`
	Wallet   tokenim.WalletProvider     `json:"wallet,omitempty"`
	Card     *tokenim.PaymentMethodCard `json:"card,omitempty"`
	Metadata map[string]string          `json:"metadata,omitempty"`
}

func newPaymentIntent(p *tokenim.PaymentCreateParams) paymentIntent {
	in := paymentIntent{OrderID: p.OrderID, Method: p.Method.Type, Metadata: p.Metadata}
	if w := p.Method.Wallet; w != nil {
		in.Wallet = w.Provider
	}
	if c := p.Method.Card; c != nil {
		in.Card = &tokenim.PaymentMethodCard{Last4: c.Last4(), ExpMonth: c.ExpMonth, ExpYear: c.ExpYear}
	}
	return in
}

// params rebuilds the request body. The journal key joins the metadata, so
// the body is the same on every attempt and Resume can find the payment.
// card is nil when re-driving: only non-card intents can be re-sent.
func (in paymentIntent) params(key string, method tokenim.PaymentMethodParams) *tokenim.PaymentCreateParams {
	return &tokenim.PaymentCreateParams{OrderID: in.OrderID, Method: method, Metadata: withKey(in.Metadata, key)}
}

func (in paymentIntent) storedMethod() (tokenim.PaymentMethodParams, bool) {
	switch in.Method {
	case tokenim.PaymentMethodTypeWallet:
		return tokenim.Wallet(in.Wallet), true
	case tokenim.PaymentMethodTypeBankTransfer:
		return tokenim.BankTransfer(), true
	}
	return tokenim.PaymentMethodParams{}, false
}

func withKey(md map[string]string, key string) map[string]string {
	out := make(map[string]string, len(md)+1)
	for k, v := range md {
		out[k] = v
	}
	out[MetadataKey] = key
	return out
}

// CreatePayment pays an order through the journal; ref is the merchant's
// reference for the checkout (its order id), so that a refresh or a double
// click with the same params reuses the intent and its key. A declined
// payment returns the platform's error and may be tried again under the
// same ref with another method. API: POST /v1/payments
//
// A card's number and CVC are held only in memory for the call. After a
// crash, Resume cannot send the card again, so it looks up the order's
// payments for the one carrying the intent's key: found, it records that
// payment's outcome; not found, the platform never executed the attempt
// and the intent becomes StateAbandoned — nothing was charged, and calling
// CreatePayment again with the customer's card re-drives it with the same
// key (the platform replays the payment if the lost attempt did execute).
// Wallet and bank-transfer intents are re-sent by Resume with their key.
func (j *Journal) CreatePayment(ctx context.Context, ref string, params *tokenim.PaymentCreateParams) (*tokenim.Payment, error) {
	if params == nil {
		return nil, errors.New("journal: payment params are required")
	}
	in := newPaymentIntent(params)
	res, err := j.Do(ctx, KindPayment, ref, in, func(ctx context.Context, key string) (any, error) {
		return nilIfErr(j.client.Payments.Create(ctx, in.params(key, params.Method), tokenim.WithIdempotencyKey(key)))
	})
	return decode[tokenim.Payment](res, err)
}

func resumePayment(ctx context.Context, c *tokenim.Client, in Intent) (any, error) {
	var p paymentIntent
	if err := json.Unmarshal(in.Params, &p); err != nil {
		return nil, fmt.Errorf("journal: decode payment intent %s: %w", in.Ref, err)
	}
	method, resendable := p.storedMethod()
	if !resendable {
		method = tokenim.PaymentMethodParams{Type: p.Method}
	}
	return nilIfErr(RedrivePayment(ctx, c, &tokenim.PaymentCreateParams{OrderID: p.OrderID, Method: method, Metadata: p.Metadata}, in.IdempotencyKey, in.KeyExpired))
}

// RedrivePayment settles a payment whose earlier attempt with key may or
// may not have executed: the one code path behind the journal's Resume and
// the River module's payment jobs (github.com/tokenim/tokenim-go/river), so
// that both hold the same guarantee. A wallet or bank-transfer payment is
// re-sent with key (the platform replays what it already did). When
// keyExpired (the attempt is older than IdempotencyWindow, so the key alone
// no longer protects it) or the method is a card (whose number was never
// stored), the order's payments are looked up first for the one carrying
// key in its metadata (MetadataKey): found, it is the answer; not found, a
// re-sendable payment is sent afresh with key, and a card payment is
// ErrNotExecuted (nothing was charged). A payment sent through here always
// carries key in its metadata.
func RedrivePayment(ctx context.Context, c *tokenim.Client, p *tokenim.PaymentCreateParams, key string, keyExpired bool) (*tokenim.Payment, error) {
	in := paymentIntent{OrderID: p.OrderID, Method: p.Method.Type, Metadata: p.Metadata}
	resendable := p.Method.Type != tokenim.PaymentMethodTypeCard
	if resendable && !keyExpired {
		return c.Payments.Create(ctx, in.params(key, p.Method), tokenim.WithIdempotencyKey(key))
	}
	var paid *tokenim.Payment
	for pay, err := range c.Payments.All(ctx, &tokenim.PaymentListParams{OrderID: p.OrderID}) {
		if err != nil {
			return nil, err
		}
		if pay.Metadata[MetadataKey] == key {
			if pay.Status == tokenim.PaymentStatusFailed {
				return nil, &tokenim.Error{Status: http.StatusPaymentRequired, HTTPStatus: http.StatusPaymentRequired,
					Code: tokenim.CodeCardDeclined, DeclineCode: tokenim.DeclineCode(pay.FailureCode), PaymentID: pay.ID, OrderID: pay.OrderID}
			}
			return pay, nil
		}
		if pay.Status == tokenim.PaymentStatusSucceeded {
			paid = pay
		}
	}
	switch {
	case resendable: // the key expired, and it was never used: send afresh
		return c.Payments.Create(ctx, in.params(key, p.Method), tokenim.WithIdempotencyKey(key))
	case paid != nil:
		return nil, &tokenim.Error{Status: http.StatusConflict, HTTPStatus: http.StatusConflict,
			Code: tokenim.CodeOrderAlreadyPaid, PaymentID: paid.ID, OrderID: p.OrderID}
	}
	return nil, ErrNotExecuted
}

// CreateRefund refunds a payment through the journal; ref is the merchant's
// reference for the refund (its return or ticket id), so that repeating the
// request never refunds twice. Resume re-sends an unfinished refund with
// its key, after looking it up when the key may have expired.
// API: POST /v1/refunds
func (j *Journal) CreateRefund(ctx context.Context, ref string, params *tokenim.RefundCreateParams) (*tokenim.Refund, error) {
	if params == nil {
		return nil, errors.New("journal: refund params are required")
	}
	res, err := j.Do(ctx, KindRefund, ref, params, func(ctx context.Context, key string) (any, error) {
		return nilIfErr(j.client.Refunds.Create(ctx, refundParams(*params, key), tokenim.WithIdempotencyKey(key)))
	})
	return decode[tokenim.Refund](res, err)
}

func refundParams(p tokenim.RefundCreateParams, key string) *tokenim.RefundCreateParams {
	p.Metadata = withKey(p.Metadata, key)
	return &p
}

func resumeRefund(ctx context.Context, c *tokenim.Client, in Intent) (any, error) {
	var p tokenim.RefundCreateParams
	if err := json.Unmarshal(in.Params, &p); err != nil {
		return nil, fmt.Errorf("journal: decode refund intent %s: %w", in.Ref, err)
	}
	return nilIfErr(RedriveRefund(ctx, c, &p, in.IdempotencyKey, in.KeyExpired))
}

// RedriveRefund is RedrivePayment for a refund: re-sent with key, after
// looking the payment's refunds up for the one carrying key when keyExpired.
// A refund sent through here always carries key in its metadata.
func RedriveRefund(ctx context.Context, c *tokenim.Client, p *tokenim.RefundCreateParams, key string, keyExpired bool) (*tokenim.Refund, error) {
	if keyExpired {
		for r, err := range c.Refunds.All(ctx, &tokenim.RefundListParams{PaymentID: p.PaymentID}) {
			if err != nil {
				return nil, err
			}
			if r.Metadata[MetadataKey] == key {
				return r, nil
			}
		}
	}
	return c.Refunds.Create(ctx, refundParams(*p, key), tokenim.WithIdempotencyKey(key))
}

// nilIfErr turns a typed result into an untyped one without a typed nil.
func nilIfErr[T any](v *T, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return v, nil
}

func decode[T any](res json.RawMessage, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	v := new(T)
	if err := json.Unmarshal(res, v); err != nil {
		return nil, fmt.Errorf("journal: decode recorded result: %w", err)
	}
	return v, nil
}
