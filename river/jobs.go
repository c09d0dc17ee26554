// Package tokenimriver runs tokenim-go's money-moving calls as River jobs
// (github.com/riverqueue/river), so a merchant can enqueue "charge this
// order" in the same database transaction that saves the order: the order
// row and the payment job commit together or not at all.
//
// Each job's args hold the idempotency key minted when the job was
// inserted, never a secret: card data is refused at insert (a job row is
// stored, and card numbers must never be), and API keys come from the
// *tokenim.Client the workers are given. River's retries re-drive the call
// with that same key, so a retried job never charges twice; past the key's
// lifetime a retry first looks up what the key made, through the journal's
// own code path (journal.RedrivePayment, journal.RedriveRefund), so River
// jobs and the journal hold one guarantee. A decline or a validation error
// ends the job (cancelled) with its outcome recorded as the job's output
// (OutcomeOf reads it back).
//
// It is its own module, so the root package's import graph stays free of
// River and its drivers. It works with River's PostgreSQL driver
// (riverpgxv5) and its embedded SQLite driver (riversqlite).
package tokenimriver

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/riverqueue/river"

	tokenim "github.com/tokenim/tokenim-go"
)

// The job kinds. They are stable names stored in River's job table.
const (
	KindPaymentCreate   = "tokenim.payment.create"
	KindRefundCreate    = "tokenim.refund.create"
	KindPaymentConfirm  = "tokenim.payment.confirm"
	KindDisputeEvidence = "tokenim.dispute.evidence"
)

// QueueDefault is the River queue the jobs are inserted into unless the
// caller's InsertOpts name another.
const QueueDefault = river.QueueDefault

// PaymentCreateArgs is the job behind Payments.Create. Only wallet and bank
// transfer payments can be jobs: card numbers must never be stored, and a
// job row is stored.
type PaymentCreateArgs struct {
	// OrderID is the order to pay. At most one live payment job per order
	// (River's unique jobs): a double click inserts one charge.
	OrderID string `json:"order_id" river:"unique"`
	// Method is "wallet" or "bank_transfer".
	Method tokenim.PaymentMethodType `json:"method"`
	// WalletProvider names the wallet when Method is "wallet".
	WalletProvider tokenim.WalletProvider `json:"wallet_provider,omitempty"`
	Metadata       map[string]string      `json:"metadata,omitempty"`
	// IdempotencyKey was minted at insert; every attempt sends it.
	IdempotencyKey string `json:"idempotency_key"`
}

// Kind is KindPaymentCreate.
func (PaymentCreateArgs) Kind() string { return KindPaymentCreate }

// InsertOpts makes payment jobs unique per order among jobs that are not
// cancelled or discarded (River's default unique states), so a second insert
// for the same order is skipped as a duplicate. A cancelled job (a decline)
// leaves room for a new attempt with another method.
func (PaymentCreateArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// RefundCreateArgs is the job behind Refunds.Create.
type RefundCreateArgs struct {
	PaymentID string `json:"payment_id" river:"unique"`
	// Reference is the merchant's own name for this refund (a return
	// number, say): unique per payment, so a double click refunds once,
	// while two different references refund twice, as two partial refunds
	// should.
	Reference string `json:"reference" river:"unique"`
	// Amount in minor units; Remaining refunds what is left instead.
	Amount         int64                `json:"amount,omitempty"`
	Remaining      bool                 `json:"remaining,omitempty"`
	Reason         tokenim.RefundReason `json:"reason,omitempty"`
	Metadata       map[string]string    `json:"metadata,omitempty"`
	IdempotencyKey string               `json:"idempotency_key"`
}

// Kind is KindRefundCreate.
func (RefundCreateArgs) Kind() string { return KindRefundCreate }

// InsertOpts makes refund jobs unique per payment and reference.
func (RefundCreateArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// PaymentConfirmArgs is the job behind Payments.Confirm (the customer's
// one-time password for a payment that requires action). The OTP is good for
// this one payment only, and the job row keeps it until River's retention
// removes the finished job.
type PaymentConfirmArgs struct {
	PaymentID      string `json:"payment_id" river:"unique"`
	OTP            string `json:"otp"`
	IdempotencyKey string `json:"idempotency_key"`
}

// Kind is KindPaymentConfirm.
func (PaymentConfirmArgs) Kind() string { return KindPaymentConfirm }

// InsertOpts makes confirm jobs unique per payment.
func (PaymentConfirmArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// DisputeEvidenceArgs is the job behind Disputes.UpdateEvidence and
// Disputes.SubmitEvidence.
type DisputeEvidenceArgs struct {
	DisputeID      string                  `json:"dispute_id" river:"unique"`
	Evidence       tokenim.DisputeEvidence `json:"evidence"`
	Submit         bool                    `json:"submit,omitempty" river:"unique"`
	IdempotencyKey string                  `json:"idempotency_key"`
}

// Kind is KindDisputeEvidence.
func (DisputeEvidenceArgs) Kind() string { return KindDisputeEvidence }

// InsertOpts makes evidence jobs unique per dispute and submit flag.
func (DisputeEvidenceArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// ErrCardInJob is returned at insert for a card payment: a job row is
// stored, and card numbers and CVCs must never be. Take card payments with
// Payments.Create directly (journal/ keeps them safe across crashes without
// storing the card).
var ErrCardInJob = errors.New("tokenimriver: a card payment cannot be a job: job args are stored and card data must never be; call Payments.Create directly (or journal.Pay), or use a wallet or bank transfer")

// PaymentArgs builds the job args for a payment, minting its idempotency
// key. It refuses card payments (ErrCardInJob) and names what else is wrong
// before anything is inserted.
func PaymentArgs(p *tokenim.PaymentCreateParams) (PaymentCreateArgs, error) {
	if p == nil {
		return PaymentCreateArgs{}, errors.New("tokenimriver: payment params are nil")
	}
	if !strings.HasPrefix(p.OrderID, "ord_") {
		return PaymentCreateArgs{}, fmt.Errorf("tokenimriver: order_id %q is not an order id (ord_…)", p.OrderID)
	}
	a := PaymentCreateArgs{OrderID: p.OrderID, Method: p.Method.Type, Metadata: p.Metadata, IdempotencyKey: NewIdempotencyKey()}
	switch p.Method.Type {
	case tokenim.PaymentMethodTypeCard:
		return PaymentCreateArgs{}, ErrCardInJob
	case tokenim.PaymentMethodTypeWallet:
		if p.Method.Wallet == nil || p.Method.Wallet.Provider == "" {
			return PaymentCreateArgs{}, errors.New("tokenimriver: a wallet payment needs its provider (tokenim.Wallet(provider))")
		}
		a.WalletProvider = p.Method.Wallet.Provider
	case tokenim.PaymentMethodTypeBankTransfer:
	default:
		return PaymentCreateArgs{}, fmt.Errorf("tokenimriver: payment method type %q is not wallet or bank_transfer", p.Method.Type)
	}
	return a, nil
}

// params turns the args back into the SDK's params.
func (a PaymentCreateArgs) params() (*tokenim.PaymentCreateParams, error) {
	p := &tokenim.PaymentCreateParams{OrderID: a.OrderID, Metadata: a.Metadata}
	switch a.Method {
	case tokenim.PaymentMethodTypeWallet:
		p.Method = tokenim.Wallet(a.WalletProvider)
	case tokenim.PaymentMethodTypeBankTransfer:
		p.Method = tokenim.BankTransfer()
	default:
		return nil, fmt.Errorf("tokenimriver: job holds payment method %q, which a job cannot take", a.Method)
	}
	return p, nil
}

// RefundArgs builds the job args for a refund named reference, minting its
// idempotency key.
func RefundArgs(reference string, p *tokenim.RefundCreateParams) (RefundCreateArgs, error) {
	if p == nil {
		return RefundCreateArgs{}, errors.New("tokenimriver: refund params are nil")
	}
	if reference == "" {
		return RefundCreateArgs{}, errors.New("tokenimriver: a refund job needs the merchant's reference for it (a return number, say), so that a double click refunds once")
	}
	if !strings.HasPrefix(p.PaymentID, "pay_") {
		return RefundCreateArgs{}, fmt.Errorf("tokenimriver: payment_id %q is not a payment id (pay_…)", p.PaymentID)
	}
	if p.Amount == 0 && !p.Remaining {
		return RefundCreateArgs{}, errors.New("tokenimriver: a refund needs an amount, or Remaining: true to refund what is left")
	}
	if p.Amount < 0 {
		return RefundCreateArgs{}, fmt.Errorf("tokenimriver: refund amount %d is negative", p.Amount)
	}
	return RefundCreateArgs{PaymentID: p.PaymentID, Reference: reference, Amount: p.Amount, Remaining: p.Remaining,
		Reason: p.Reason, Metadata: p.Metadata, IdempotencyKey: NewIdempotencyKey()}, nil
}

// NewIdempotencyKey returns a fresh random key (32 hex digits after
// "rvr_"), the form these jobs mint at insert.
func NewIdempotencyKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return "rvr_" + hex.EncodeToString(b[:])
}
