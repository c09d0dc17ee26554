package tokenim

import (
	"context"
	"iter"
	"net/http"
	"time"
)

// OrdersService manages orders: what a customer owes. API: /v1/orders
type OrdersService service

// OrderStatus is the state of an order.
type OrderStatus string

// Order states: open → paid → partially_refunded → refunded; open → canceled | expired.
const (
	OrderStatusOpen              OrderStatus = "open"
	OrderStatusPaid              OrderStatus = "paid"
	OrderStatusPartiallyRefunded OrderStatus = "partially_refunded"
	OrderStatusRefunded          OrderStatus = "refunded"
	OrderStatusCanceled          OrderStatus = "canceled"
	OrderStatusExpired           OrderStatus = "expired"
)

// Currency is an upper-case ISO 4217 code (docs/tokenim-api.md §1). An order
// fixes it; its payments and refunds carry the same. Untyped string constants
// assign without conversion (Currency: "CNY").
type Currency string

// The currencies of API version 2026-11-01. JPY has no minor unit, KWD three,
// the others two (see FormatAmount). Any other is an *Error with Code
// currency_unsupported.
const (
	CurrencyCNY Currency = "CNY"
	CurrencyUSD Currency = "USD"
	CurrencyEUR Currency = "EUR"
	CurrencyGBP Currency = "GBP"
	CurrencyHKD Currency = "HKD"
	CurrencySGD Currency = "SGD"
	CurrencyJPY Currency = "JPY"
	CurrencyKWD Currency = "KWD"
)

// Order is what the customer owes. Amounts are minor units of Currency.
type Order struct {
	ID              string            `json:"id"`
	Object          string            `json:"object"`
	MerchantOrderID string            `json:"merchant_order_id"`
	Amount          int64             `json:"amount"`
	Currency        Currency          `json:"currency"`
	Description     string            `json:"description"`
	Status          OrderStatus       `json:"status"`
	AmountPaid      int64             `json:"amount_paid"`
	AmountRefunded  int64             `json:"amount_refunded"`
	PaymentID       string            `json:"payment_id"`
	ExpiresAt       time.Time         `json:"expires_at"`
	CreatedAt       time.Time         `json:"created_at"`
	PaidAt          *time.Time        `json:"paid_at"`
	Metadata        map[string]string `json:"metadata"`
	// Version is the object's version (docs/tokenim-api.md §10): 1 at creation,
	// +1 on every change; an event's snapshot carries the version it was taken at.
	Version int64 `json:"version"`
}

// OrderCreateParams are the parameters of Orders.Create.
// API: POST /v1/orders
type OrderCreateParams struct {
	// MerchantOrderID is the merchant's own reference, 1–64 characters,
	// unique per merchant.
	MerchantOrderID string `json:"merchant_order_id"`
	// Amount in minor units, 1…99 999 999 999.
	Amount int64 `json:"amount"`
	// Currency is an upper-case ISO 4217 code.
	Currency    Currency `json:"currency"`
	Description string   `json:"description,omitempty"`
	// ExpiresAt defaults to 30 minutes from now; allowed +1 min … +7 days.
	ExpiresAt *time.Time        `json:"expires_at,omitempty"`
	Metadata  map[string]string `json:"metadata,omitempty"`
}

func (p *OrderCreateParams) validate() error {
	if err := requireParams(p, "params"); err != nil {
		return err
	}
	if p.MerchantOrderID == "" {
		return invalid("merchant_order_id", "is required")
	}
	if err := validateMaxLen("merchant_order_id", p.MerchantOrderID, 64); err != nil {
		return err
	}
	for _, r := range p.MerchantOrderID {
		if r < 0x20 || r == 0x7f {
			return invalid("merchant_order_id", "must be printable")
		}
	}
	if err := validateAmount("amount", p.Amount); err != nil {
		return err
	}
	if err := validateCurrency("currency", string(p.Currency)); err != nil {
		return err
	}
	if err := validateMaxLen("description", p.Description, 1000); err != nil {
		return err
	}
	if p.ExpiresAt != nil && p.ExpiresAt.IsZero() {
		return invalid("expires_at", "must be a time, or nil for the default")
	}
	return validateMetadata(p.Metadata)
}

// OrderListParams filter Orders.List and Orders.All. API: GET /v1/orders
type OrderListParams struct {
	ListParams
	Status          OrderStatus `url:"status,omitempty"`
	MerchantOrderID string      `url:"merchant_order_id,omitempty"`
}

var ordersList = newLister[OrderListParams](endpoint{"Orders.List", http.MethodGet, "/v1/orders", "ord_", false}, func(o *Order) string { return o.ID })

// Create creates an order. API: POST /v1/orders
func (s *OrdersService) Create(ctx context.Context, params *OrderCreateParams, opts ...RequestOption) (*Order, error) {
	return create[Order](ctx, s.client, endpoint{"Orders.Create", http.MethodPost, "/v1/orders", "", false}, params, opts)
}

// Get retrieves an order. API: GET /v1/orders/{id}
func (s *OrdersService) Get(ctx context.Context, id string, opts ...RequestOption) (*Order, error) {
	return fetch[Order](ctx, s.client, endpoint{"Orders.Get", http.MethodGet, "/v1/orders/{id}", "ord_", false}, id, nil, opts)
}

// Cancel cancels an open order. The answer is the canceled *Order; a paid,
// expired or already canceled order is an *Error matching ErrConflict
// (code order_not_cancelable). API: POST /v1/orders/{id}/cancel
func (s *OrdersService) Cancel(ctx context.Context, id string, opts ...RequestOption) (*Order, error) {
	return fetch[Order](ctx, s.client, endpoint{"Orders.Cancel", http.MethodPost, "/v1/orders/{id}/cancel", "ord_", false}, id, nil, opts)
}

// List returns one page of orders, newest first. API: GET /v1/orders
func (s *OrdersService) List(ctx context.Context, params *OrderListParams, opts ...RequestOption) (*List[Order], error) {
	return ordersList.page(ctx, s.client, params, opts)
}

// All iterates over every order matching params, fetching pages lazily.
// API: GET /v1/orders
func (s *OrdersService) All(ctx context.Context, params *OrderListParams, opts ...RequestOption) iter.Seq2[*Order, error] {
	return ordersList.all(ctx, s.client, params, opts)
}
