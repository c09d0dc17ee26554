package tokenim

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"net/http"
	"time"
)

// PaymentsService manages payments: attempts to pay an order in full.
// API: /v1/payments
type PaymentsService service

// PaymentStatus is the state of a payment.
type PaymentStatus string

// Payment states: processing | requires_action → succeeded | failed | canceled.
const (
	PaymentStatusProcessing     PaymentStatus = "processing"
	PaymentStatusRequiresAction PaymentStatus = "requires_action"
	PaymentStatusSucceeded      PaymentStatus = "succeeded"
	PaymentStatusFailed         PaymentStatus = "failed"
	PaymentStatusCanceled       PaymentStatus = "canceled"
)

// Terminal reports whether the payment can no longer change state.
func (s PaymentStatus) Terminal() bool {
	return s == PaymentStatusSucceeded || s == PaymentStatusFailed || s == PaymentStatusCanceled
}

// PaymentMethodType is how a payment is made.
type PaymentMethodType string

// Payment method types.
const (
	PaymentMethodTypeCard         PaymentMethodType = "card"
	PaymentMethodTypeWallet       PaymentMethodType = "wallet"
	PaymentMethodTypeBankTransfer PaymentMethodType = "bank_transfer"
)

// WalletProvider names a wallet.
type WalletProvider string

// Wallet providers.
const (
	WalletAlipay         WalletProvider = "alipay"
	WalletWeChatPay      WalletProvider = "wechat_pay"
	WalletPayPal         WalletProvider = "paypal"
	WalletTokenimBalance WalletProvider = "tokenim_balance"
)

// PaymentFailureCode says why a payment failed: a DeclineCode, a third wrong
// one-time code or a returned bank transfer.
type PaymentFailureCode string

// Every payment failure code of API version 2026-11-01. The first six are
// the DeclineCode values.
const (
	PaymentFailureGenericDecline       PaymentFailureCode = "generic_decline"
	PaymentFailureInsufficientFunds    PaymentFailureCode = "insufficient_funds"
	PaymentFailureExpiredCard          PaymentFailureCode = "expired_card"
	PaymentFailureIncorrectCVC         PaymentFailureCode = "incorrect_cvc"
	PaymentFailureCardFrozen           PaymentFailureCode = "card_frozen"
	PaymentFailureProcessingError      PaymentFailureCode = "processing_error"
	PaymentFailureAuthenticationFailed PaymentFailureCode = "authentication_failed"
	PaymentFailureTransferReturned     PaymentFailureCode = "transfer_returned"
)

// Payment is one attempt to pay an order. Fee and Net are zero until it
// succeeds; FailureCode says why when it failed.
type Payment struct {
	ID             string             `json:"id"`
	Object         string             `json:"object"`
	OrderID        string             `json:"order_id"`
	Amount         int64              `json:"amount"`
	Currency       Currency           `json:"currency"`
	Method         PaymentMethod      `json:"method"`
	Status         PaymentStatus      `json:"status"`
	FailureCode    PaymentFailureCode `json:"failure_code"`
	FailureMessage string             `json:"failure_message"`
	NextAction     *NextAction        `json:"next_action"`
	Fee            int64              `json:"fee"`
	Net            int64              `json:"net"`
	AmountRefunded int64              `json:"amount_refunded"`
	Disputed       bool               `json:"disputed"` // true once a dispute opened; stays true (docs/tokenim-api.md §8)
	ReceiptNumber  string             `json:"receipt_number"`
	CreatedAt      time.Time          `json:"created_at"`
	SucceededAt    *time.Time         `json:"succeeded_at"`
	Metadata       map[string]string  `json:"metadata"`
	// Version is the object's version (docs/tokenim-api.md §10): 1 at creation,
	// +1 on every change; an event's snapshot carries the version it was taken at.
	Version int64 `json:"version"`
}

// NextAction says what the customer must do for a requires_action payment.
type NextAction struct {
	Type NextActionType `json:"type"`
}

// NextActionType names the step a requires_action payment waits for.
type NextActionType string

// NextActionOTP: the customer gives a one-time code; pass it to
// Payments.Confirm.
const NextActionOTP NextActionType = "otp"

// PaymentMethod is the method of a payment as the platform stores it: never
// the card number or CVC.
type PaymentMethod struct {
	Type   PaymentMethodType    `json:"type"`
	Card   *PaymentMethodCard   `json:"card,omitempty"`
	Wallet *PaymentMethodWallet `json:"wallet,omitempty"`
}

// CardBrand is the network of a card.
type CardBrand string

// Card brands; unknown when the number matches no network the platform knows.
const (
	CardBrandVisa       CardBrand = "visa"
	CardBrandMastercard CardBrand = "mastercard"
	CardBrandUnionPay   CardBrand = "unionpay"
	CardBrandAmex       CardBrand = "amex"
	CardBrandUnknown    CardBrand = "unknown"
)

// PaymentMethodCard describes a card without its number.
type PaymentMethodCard struct {
	Brand    CardBrand `json:"brand"`
	Last4    string    `json:"last4"`
	ExpMonth int       `json:"exp_month"`
	ExpYear  int       `json:"exp_year"`
}

// PaymentMethodWallet describes a wallet payment.
type PaymentMethodWallet struct {
	Provider WalletProvider `json:"provider"`
}

// Receipt is the voucher of a succeeded payment.
// API: GET /v1/payments/{id}/receipt
type Receipt struct {
	Object          string    `json:"object"`
	ReceiptNumber   string    `json:"receipt_number"`
	PaymentID       string    `json:"payment_id"`
	OrderID         string    `json:"order_id"`
	MerchantOrderID string    `json:"merchant_order_id"`
	Amount          int64     `json:"amount"`
	Currency        Currency  `json:"currency"`
	Fee             int64     `json:"fee"`
	MethodSummary   string    `json:"method_summary"`
	PaidAt          time.Time `json:"paid_at"`
}

// CardParams is a card to charge. Its Number and CVC are Secrets: no format
// verb, slog handler or json.Marshal shows them, however the params are
// nested; only the request of Payments.Create (or Client.NewRequest with
// the params as its body) sends them. Build it with Card.
type CardParams struct {
	Number   Secret `json:"number"`
	ExpMonth int    `json:"exp_month"`
	ExpYear  int    `json:"exp_year"`
	CVC      Secret `json:"cvc"`
}

// Last4 returns the last four digits of the number, the part of it that may
// be shown (PCI DSS); "????" for a number shorter than that.
func (c *CardParams) Last4() string {
	n := c.Number.Reveal()
	if len(n) < 4 {
		return "????"
	}
	return n[len(n)-4:]
}

// WalletParams selects a wallet to pay with.
type WalletParams struct {
	Provider WalletProvider `json:"provider"`
}

// PaymentMethodParams is how to pay; build it with Card, Wallet or
// BankTransfer.
type PaymentMethodParams struct {
	Type   PaymentMethodType `json:"type"`
	Card   *CardParams       `json:"card,omitempty"`
	Wallet *WalletParams     `json:"wallet,omitempty"`
}

// Card returns card payment method parameters.
func Card(number string, expMonth, expYear int, cvc string) PaymentMethodParams {
	return PaymentMethodParams{Type: PaymentMethodTypeCard, Card: &CardParams{Number: NewSecret(number), ExpMonth: expMonth, ExpYear: expYear, CVC: NewSecret(cvc)}}
}

// Wallet returns wallet payment method parameters.
func Wallet(p WalletProvider) PaymentMethodParams {
	return PaymentMethodParams{Type: PaymentMethodTypeWallet, Wallet: &WalletParams{Provider: p}}
}

// BankTransfer returns bank transfer payment method parameters.
func BankTransfer() PaymentMethodParams {
	return PaymentMethodParams{Type: PaymentMethodTypeBankTransfer}
}

// String describes the method, a card by its last four digits and expiry.
func (m PaymentMethodParams) String() string {
	switch {
	case m.Card != nil:
		return fmt.Sprintf("tokenim.PaymentMethodParams{Type: %s, Card: ****%s %02d/%d}", m.Type, m.Card.Last4(), m.Card.ExpMonth, m.Card.ExpYear)
	case m.Wallet != nil:
		return "tokenim.PaymentMethodParams{Type: " + string(m.Type) + ", Wallet: " + string(m.Wallet.Provider) + "}"
	}
	return "tokenim.PaymentMethodParams{Type: " + string(m.Type) + "}"
}

// The wire form of card data: the one place the number and CVC are
// encoded in clear, reached only through wireForm when the client encodes a
// request body (docs/contract-decisions.md, "Card data").
type (
	cardWire struct {
		Number   string `json:"number"`
		ExpMonth int    `json:"exp_month"`
		ExpYear  int    `json:"exp_year"`
		CVC      string `json:"cvc"`
	}
	paymentMethodWire struct {
		Type   PaymentMethodType `json:"type"`
		Card   *cardWire         `json:"card,omitempty"`
		Wallet *WalletParams     `json:"wallet,omitempty"`
	}
	paymentCreateWire struct {
		OrderID  string            `json:"order_id"`
		Method   paymentMethodWire `json:"method"`
		Metadata map[string]string `json:"metadata,omitempty"`
	}
)

func (c *CardParams) wire() *cardWire {
	return &cardWire{Number: c.Number.Reveal(), ExpMonth: c.ExpMonth, ExpYear: c.ExpYear, CVC: c.CVC.Reveal()}
}

func (m *PaymentMethodParams) wire() paymentMethodWire {
	w := paymentMethodWire{Type: m.Type, Wallet: m.Wallet}
	if m.Card != nil {
		w.Card = m.Card.wire()
	}
	return w
}

func (p *PaymentCreateParams) wire() *paymentCreateWire {
	return &paymentCreateWire{OrderID: p.OrderID, Method: p.Method.wire(), Metadata: p.Metadata}
}

// wireForm is what the client encodes for a request body v: the wire form
// of params holding card data, whose own JSON redacts the number and CVC,
// and v itself otherwise.
func wireForm(v any) any {
	switch b := v.(type) {
	case *PaymentCreateParams:
		if b != nil {
			return b.wire()
		}
	case PaymentCreateParams:
		return b.wire()
	case *PaymentMethodParams:
		if b != nil {
			return b.wire()
		}
	case PaymentMethodParams:
		return b.wire()
	case *CardParams:
		if b != nil {
			return b.wire()
		}
	case CardParams:
		return b.wire()
	}
	return v
}

func (m *PaymentMethodParams) validate() error {
	switch m.Type {
	case "":
		return invalid("method.type", "is required (use Card, Wallet or BankTransfer)")
	case PaymentMethodTypeCard:
		c := m.Card
		if c == nil {
			return invalid("method.card", "is required for a card payment")
		}
		if n := c.Number.Reveal(); !isDigits(n) || len(n) < 12 || len(n) > 19 {
			return invalid("method.card.number", "must be 12-19 digits without spaces")
		}
		if c.ExpMonth < 1 || c.ExpMonth > 12 {
			return invalid("method.card.exp_month", "must be 1-12")
		}
		if c.ExpYear < 1000 || c.ExpYear > 9999 {
			return invalid("method.card.exp_year", "must be a 4-digit year")
		}
		if cvc := c.CVC.Reveal(); !isDigits(cvc) || len(cvc) < 3 || len(cvc) > 4 {
			return invalid("method.card.cvc", "must be 3-4 digits")
		}
	case PaymentMethodTypeWallet:
		if m.Wallet == nil || m.Wallet.Provider == "" {
			return invalid("method.wallet.provider", "is required for a wallet payment")
		}
	}
	return nil
}

// PaymentCreateParams are the parameters of Payments.Create. The amount and
// currency are the order's. API: POST /v1/payments
type PaymentCreateParams struct {
	OrderID  string              `json:"order_id"`
	Method   PaymentMethodParams `json:"method"`
	Metadata map[string]string   `json:"metadata,omitempty"`
}

// String describes the params, the card by its last four digits.
func (p PaymentCreateParams) String() string {
	return fmt.Sprintf("tokenim.PaymentCreateParams{OrderID: %s, Method: %s, Metadata: %v}", p.OrderID, p.Method.String(), p.Metadata)
}

func (p *PaymentCreateParams) validate() error {
	if err := requireParams(p, "params"); err != nil {
		return err
	}
	if err := validateID("order_id", "ord_", p.OrderID); err != nil {
		return err
	}
	if err := p.Method.validate(); err != nil {
		return err
	}
	return validateMetadata(p.Metadata)
}

// PaymentConfirmParams confirm a requires_action payment.
// API: POST /v1/payments/{id}/confirm
type PaymentConfirmParams struct {
	OTP string `json:"otp"`
}

// PaymentListParams filter Payments.List and Payments.All.
// API: GET /v1/payments
type PaymentListParams struct {
	ListParams
	OrderID string        `url:"order_id,omitempty"`
	Status  PaymentStatus `url:"status,omitempty"`
}

func (p *PaymentListParams) validateFilters() error {
	return validateIDFilter("order_id", "ord_", p.OrderID)
}

var paymentsList = newLister[PaymentListParams](endpoint{"Payments.List", http.MethodGet, "/v1/payments", "pay_", false}, func(p *Payment) string { return p.ID })

// Create pays an order with a card, a wallet or a bank transfer.
// API: POST /v1/payments
//
// Outcomes that are a returned *Payment, to act on by its Status:
//   - succeeded: paid.
//   - requires_action: the customer must confirm (NextAction.Type "otp");
//     call Confirm with their code.
//   - processing: a bank transfer or a slow card; call Wait, or listen for
//     the payment.succeeded and payment.failed events.
//
// Outcomes that are errors:
//   - a decline: an *Error with errors.Is(err, ErrDeclined) (or IsDeclined);
//     its DeclineCode says why (insufficient_funds, …) and PaymentID names
//     the failed payment. A failed 3-D Secure check is code
//     authentication_failed.
//   - the order cannot take this payment: an *Error matching ErrConflict with
//     Code order_already_paid, payment_in_progress, order_expired or
//     order_not_payable (errors.As(err, &apiErr) and compare apiErr.Code).
//   - the outcome is unknown (the answer was lost): *UnknownOutcomeError
//     (errors.Is(err, ErrUnknownOutcome)); repeat the call with
//     WithIdempotencyKey(uo.IdempotencyKey), never with a new key.
//   - bad parameters: *ValidationError before anything is sent, or an *Error
//     matching ErrInvalidRequest.
func (s *PaymentsService) Create(ctx context.Context, params *PaymentCreateParams, opts ...RequestOption) (*Payment, error) {
	var sent *sentSecrets
	if params != nil && params.Method.Card != nil {
		// A problem document may echo the request: none of the card
		// reaches an error (docs/contract-decisions.md).
		sent = &sentSecrets{number: params.Method.Card.Number.Reveal(), token: params.Method.Card.CVC.Reveal()}
		ctx = withSentSecrets(ctx, sent)
	}
	p, err := create[Payment](ctx, s.client, endpoint{"Payments.Create", http.MethodPost, "/v1/payments", "", false}, params, opts)
	return p, sent.scrubErr(err)
}

// Get retrieves a payment. API: GET /v1/payments/{id}
func (s *PaymentsService) Get(ctx context.Context, id string, opts ...RequestOption) (*Payment, error) {
	return fetch[Payment](ctx, s.client, endpoint{"Payments.Get", http.MethodGet, "/v1/payments/{id}", "pay_", false}, id, nil, opts)
}

// Confirm completes a requires_action payment with the customer's one-time
// code. API: POST /v1/payments/{id}/confirm
//
// The returned *Payment is succeeded, or processing. A wrong code is an
// *Error with Code authentication_failed (HTTP 402; not ErrDeclined), and
// the third wrong code fails the payment. A payment that is not waiting for
// a code is an *Error matching ErrConflict (Code payment_unexpected_state;
// docs/contract-decisions.md). A lost answer is an *UnknownOutcomeError:
// repeat with WithIdempotencyKey, as for Create.
func (s *PaymentsService) Confirm(ctx context.Context, id string, params *PaymentConfirmParams, opts ...RequestOption) (*Payment, error) {
	if params == nil || params.OTP == "" {
		return nil, cmp.Or(validateID("id", "pay_", id), invalid("otp", "is required"))
	}
	sent := &sentSecrets{token: params.OTP} // the code, too, stays out of errors
	p, err := fetch[Payment](withSentSecrets(ctx, sent), s.client, endpoint{"Payments.Confirm", http.MethodPost, "/v1/payments/{id}/confirm", "pay_", false}, id, params, opts)
	return p, sent.scrubErr(err)
}

// Cancel cancels a processing or requires_action payment; the answer is the
// canceled *Payment. A succeeded or failed payment is an *Error matching
// ErrConflict (Code payment_unexpected_state).
// API: POST /v1/payments/{id}/cancel
func (s *PaymentsService) Cancel(ctx context.Context, id string, opts ...RequestOption) (*Payment, error) {
	return fetch[Payment](ctx, s.client, endpoint{"Payments.Cancel", http.MethodPost, "/v1/payments/{id}/cancel", "pay_", false}, id, nil, opts)
}

// Receipt retrieves the voucher of a succeeded payment; any other payment is
// an *Error matching ErrConflict (Code receipt_unavailable).
// API: GET /v1/payments/{id}/receipt
func (s *PaymentsService) Receipt(ctx context.Context, id string, opts ...RequestOption) (*Receipt, error) {
	return fetch[Receipt](ctx, s.client, endpoint{"Payments.Receipt", http.MethodGet, "/v1/payments/{id}/receipt", "pay_", false}, id, nil, opts)
}

// List returns one page of payments, newest first. API: GET /v1/payments
func (s *PaymentsService) List(ctx context.Context, params *PaymentListParams, opts ...RequestOption) (*List[Payment], error) {
	return paymentsList.page(ctx, s.client, params, opts)
}

// All iterates over every payment matching params, fetching pages lazily.
// API: GET /v1/payments
func (s *PaymentsService) All(ctx context.Context, params *PaymentListParams, opts ...RequestOption) iter.Seq2[*Payment, error] {
	return paymentsList.all(ctx, s.client, params, opts)
}

// Wait polls a payment until it is succeeded, failed or canceled and returns
// it. It waits between polls with backoff (the client's retry base, doubling,
// capped at the client's retry cap) and returns the context's error, wrapped,
// when ctx ends first. A requires_action payment keeps it waiting until the
// payment is confirmed or canceled. API: GET /v1/payments/{id}
func (s *PaymentsService) Wait(ctx context.Context, id string, opts ...RequestOption) (*Payment, error) {
	if err := validateID("id", "pay_", id); err != nil {
		return nil, err
	}
	c := s.client
	wait := c.retryMin
	for {
		p, err := s.Get(ctx, id, opts...)
		if err != nil {
			return nil, err
		}
		if p.Status.Terminal() {
			return p, nil
		}
		if err := c.sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("tokenim: wait for payment %s (last status %s): %w", id, p.Status, err)
		}
		wait = min(wait*2, c.retryMax)
	}
}
