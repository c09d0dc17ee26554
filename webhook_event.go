package tokenim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// This file turns verified webhook bodies into Events. The event types and
// the Event type itself live with the Events service in events.go; what is
// here is the webhook side: decode only what was verified.

// ErrWebhookInvalidPayload reports a verified body that is not an event
// (not JSON, or without id or type).
var ErrWebhookInvalidPayload = errors.New("tokenim: webhook payload is not an event")

// ParseEvent verifies the delivery (see Verify) and only then decodes body
// into an Event. An event type this SDK does not know decodes without error.
func (v *WebhookVerifier) ParseEvent(h http.Header, body []byte) (*Event, error) {
	if err := v.Verify(h, body); err != nil {
		return nil, err
	}
	return decodeWebhookEvent(body)
}

func decodeWebhookEvent(body []byte) (*Event, error) {
	var e Event
	if err := json.Unmarshal(body, &e); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrWebhookInvalidPayload, err)
	}
	switch {
	case e.ID == "":
		return nil, fmt.Errorf("%w: no id", ErrWebhookInvalidPayload)
	case e.Type == "":
		return nil, fmt.Errorf("%w: no type", ErrWebhookInvalidPayload)
	}
	return &e, nil
}

// ConstructEvent verifies a delivery against secrets with the default
// tolerance and then decodes it: the one call for a merchant who handles
// the HTTP request themselves. For many deliveries build a WebhookVerifier
// once instead.
func ConstructEvent(body []byte, h http.Header, secrets ...string) (*Event, error) {
	v, err := NewWebhookVerifier(secrets)
	if err != nil {
		return nil, err
	}
	return v.ParseEvent(h, body)
}
