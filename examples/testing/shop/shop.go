// Package shop is a small merchant checkout built on tokenim-go: it turns a
// cart into an order, pays it, and maps the platform's answers to what a
// shopper should read. Its tests (shop_test.go) run against the in-process
// sandbox with tokenimtest.Start, which is the point of this example.
package shop

import (
	"context"
	"errors"
	"fmt"

	"github.com/tokenim/tokenim-go"
)

// Errors a checkout page shows the shopper; match them with errors.Is.
var (
	// ErrDeclined: the card was declined; *DeclinedError says why.
	ErrDeclined = errors.New("shop: payment declined")
	// ErrOTPRequired: the bank wants a one-time code; *OTPRequiredError
	// names the payment to pass to ConfirmOTP.
	ErrOTPRequired = errors.New("shop: one-time code required")
	// ErrWrongOTP: the one-time code was not accepted.
	ErrWrongOTP = errors.New("shop: the code is not right, please try again")
	// ErrCheckoutExpired: the cart's order expired before it was paid.
	ErrCheckoutExpired = errors.New("shop: this checkout has expired, please start again")
	// ErrInvalidCart: the cart cannot be checked out (empty, bad quantity…).
	ErrInvalidCart = errors.New("shop: invalid cart")
)

// Item is one line of a cart. Price is in minor units of the cart's currency.
type Item struct {
	SKU   string
	Price int64
	Qty   int
}

// Cart is what the shopper checks out. ID is the shop's own reference: it
// becomes the order's merchant_order_id, so checking out the same cart twice
// pays one order.
type Cart struct {
	ID       string
	Currency string
	Items    []Item
	// Payment is how the shopper pays, e.g. tokenim.Card(…); it prints
	// redacted, so a logged Cart never shows a card number.
	Payment tokenim.PaymentMethodParams
}

// Total is the sum of the cart's lines in minor units.
func (c Cart) Total() int64 {
	var total int64
	for _, it := range c.Items {
		total += it.Price * int64(it.Qty)
	}
	return total
}

func (c Cart) validate() error {
	if c.ID == "" {
		return fmt.Errorf("%w: no cart id", ErrInvalidCart)
	}
	if len(c.Items) == 0 {
		return fmt.Errorf("%w: cart %s is empty", ErrInvalidCart, c.ID)
	}
	for _, it := range c.Items {
		if it.Qty <= 0 || it.Qty > 1000 || it.Price <= 0 || it.Price > 1_000_000_000 {
			return fmt.Errorf("%w: item %q has quantity %d and price %d", ErrInvalidCart, it.SKU, it.Qty, it.Price)
		}
	}
	return nil
}

// Receipt is what the shop shows and emails after a successful payment.
type Receipt struct {
	Number    string // RCPT-…
	OrderID   string
	PaymentID string
	Amount    int64
	Currency  string
	Method    string // e.g. "visa •••• 4242"
}

// DeclinedError is a declined payment with a message for the shopper.
type DeclinedError struct {
	Code      tokenim.DeclineCode
	PaymentID string
}

// Error is the message for the shopper.
func (e *DeclinedError) Error() string {
	switch e.Code {
	case tokenim.DeclineInsufficientFunds:
		return "your card has insufficient funds; please use another card"
	case tokenim.DeclineExpiredCard:
		return "your card has expired; please use another card"
	case tokenim.DeclineIncorrectCVC:
		return "the security code is not right; please check it and try again"
	case tokenim.DeclineProcessingError:
		return "your bank could not process the payment; please try again"
	default:
		return "your card was declined; please use another card or contact your bank"
	}
}

// Is matches ErrDeclined.
func (e *DeclinedError) Is(target error) bool { return target == ErrDeclined }

// OTPRequiredError says the shopper must enter a one-time code for PaymentID.
type OTPRequiredError struct{ PaymentID string }

// Error is the message for the shopper.
func (e *OTPRequiredError) Error() string {
	return "your bank sent you a one-time code; please enter it"
}

// Is matches ErrOTPRequired.
func (e *OTPRequiredError) Is(target error) bool { return target == ErrOTPRequired }

// Shop checks carts out through a tokenim client.
type Shop struct {
	client *tokenim.Client
}

// New returns a shop that uses client.
func New(client *tokenim.Client) *Shop { return &Shop{client: client} }

// Checkout creates the cart's order (or finds the one an earlier attempt
// created), pays it with cart.Payment and returns the receipt. A declined card
// returns a *DeclinedError and leaves the order open for another card; a card
// that needs a code returns an *OTPRequiredError, see ConfirmOTP.
func (s *Shop) Checkout(ctx context.Context, cart Cart) (*Receipt, error) {
	if err := cart.validate(); err != nil {
		return nil, err
	}
	order, err := s.order(ctx, cart)
	if err != nil {
		return nil, err
	}
	switch order.Status {
	case tokenim.OrderStatusOpen:
	case tokenim.OrderStatusExpired, tokenim.OrderStatusCanceled:
		return nil, ErrCheckoutExpired
	default: // already paid by an earlier attempt: show that receipt again
		return s.receipt(ctx, order.PaymentID)
	}

	payment, err := s.client.Payments.Create(ctx, &tokenim.PaymentCreateParams{
		OrderID: order.ID, Method: cart.Payment,
	})
	var apiErr *tokenim.Error
	switch {
	case tokenim.IsDeclined(err) && errors.As(err, &apiErr):
		return nil, &DeclinedError{Code: apiErr.DeclineCode, PaymentID: apiErr.PaymentID}
	case errors.As(err, &apiErr) && apiErr.Code == tokenim.CodeOrderExpired:
		return nil, ErrCheckoutExpired
	case errors.As(err, &apiErr) && apiErr.Code == tokenim.CodePaymentInProgress:
		// The shopper came back while a card payment still waits for its
		// code (this shop takes only cards, so that is the only kind).
		return nil, &OTPRequiredError{PaymentID: apiErr.PaymentID}
	case err != nil:
		return nil, fmt.Errorf("shop: pay cart %s: %w", cart.ID, err)
	}
	if payment.Status == tokenim.PaymentStatusRequiresAction {
		return nil, &OTPRequiredError{PaymentID: payment.ID}
	}
	return s.receipt(ctx, payment.ID)
}

// ConfirmOTP completes a payment that needed a one-time code and returns its
// receipt. A wrong code returns ErrWrongOTP; after three the bank declines.
func (s *Shop) ConfirmOTP(ctx context.Context, paymentID, otp string) (*Receipt, error) {
	_, err := s.client.Payments.Confirm(ctx, paymentID, &tokenim.PaymentConfirmParams{OTP: otp})
	var apiErr *tokenim.Error
	if errors.As(err, &apiErr) && apiErr.Code == tokenim.CodeAuthenticationFailed {
		return nil, ErrWrongOTP
	}
	if err != nil {
		return nil, fmt.Errorf("shop: confirm payment %s: %w", paymentID, err)
	}
	return s.receipt(ctx, paymentID)
}

// order creates the cart's order; if an earlier checkout of the cart already
// created it, it returns that one.
func (s *Shop) order(ctx context.Context, cart Cart) (*tokenim.Order, error) {
	order, err := s.client.Orders.Create(ctx, &tokenim.OrderCreateParams{
		MerchantOrderID: cart.ID, Amount: cart.Total(), Currency: tokenim.Currency(cart.Currency),
	})
	var apiErr *tokenim.Error
	if errors.As(err, &apiErr) && apiErr.Code == tokenim.CodeDuplicateMerchantOrderID {
		order, err = s.client.Orders.Get(ctx, apiErr.ExistingID)
		if err == nil && (order.Amount != cart.Total() || order.Currency != tokenim.Currency(cart.Currency)) {
			return nil, fmt.Errorf("%w: cart %s changed after checkout started", ErrInvalidCart, cart.ID)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("shop: order for cart %s: %w", cart.ID, err)
	}
	return order, nil
}

func (s *Shop) receipt(ctx context.Context, paymentID string) (*Receipt, error) {
	r, err := s.client.Payments.Receipt(ctx, paymentID)
	if err != nil {
		return nil, fmt.Errorf("shop: receipt of payment %s: %w", paymentID, err)
	}
	return &Receipt{
		Number: r.ReceiptNumber, OrderID: r.OrderID, PaymentID: r.PaymentID,
		Amount: r.Amount, Currency: string(r.Currency), Method: r.MethodSummary,
	}, nil
}
