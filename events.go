package tokenim

import (
	"encoding/json"
	"time"
)

// EventType names what happened. Unknown types decode without error so that
// an SDK older than the platform keeps working.
type EventType string

// Every event type of API version 2026-11-01.
const (
	EventOrderPaid             EventType = "order.paid"
	EventOrderCanceled         EventType = "order.canceled"
	EventOrderExpired          EventType = "order.expired"
	EventOrderRefunded         EventType = "order.refunded"
	EventPaymentSucceeded      EventType = "payment.succeeded"
	EventPaymentFailed         EventType = "payment.failed"
	EventPaymentRequiresAction EventType = "payment.requires_action"
	EventPaymentCanceled       EventType = "payment.canceled"
	EventRefundSucceeded       EventType = "refund.succeeded"
	EventRefundFailed          EventType = "refund.failed"
)

// Event records a change to an order, payment or refund. Webhooks deliver
// events; the Events service lists them for reconciliation.
type Event struct {
	ID         string    `json:"id"`
	Object     string    `json:"object"`
	Type       EventType `json:"type"`
	CreatedAt  time.Time `json:"created_at"`
	APIVersion string    `json:"api_version"`
	Data       EventData `json:"data"`
}

// EventData holds the snapshot of the resource the event is about, as raw
// JSON; use Event.Order, Event.Payment or Event.Refund for a typed view.
type EventData struct {
	Object json.RawMessage `json:"object"`
}
