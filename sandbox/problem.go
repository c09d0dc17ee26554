package sandbox

import (
	"encoding/json"
	"strconv"
)

// apiError is a problem+json answer (RFC 9457) before it is rendered.
type apiError struct {
	status      int
	code        string
	title       string
	detail      string
	param       *string
	declineCode string
	paymentID   string
	orderID     string
	existingID  string
	apiKeyID    string
	disputeID   string
	retryAfter  int // seconds; 0 = no header
}

func newError(status int, code, title, detail string) *apiError {
	return &apiError{status: status, code: code, title: title, detail: detail}
}

func errInvalid(param, detail string) *apiError {
	e := newError(400, "invalid_request", "The request is invalid", detail)
	if param != "" {
		e.param = &param
	}
	return e
}

func errMissing(kind, id, param string) *apiError {
	e := newError(404, "resource_missing", "No such resource", "No such "+kind+": "+strconv.Quote(id)+".")
	if param != "" {
		e.param = &param
	}
	return e
}

func (e *apiError) withParam(p string) *apiError    { e.param = &p; return e }
func (e *apiError) withPayment(id string) *apiError { e.paymentID = id; return e }
func (e *apiError) withOrder(id string) *apiError   { e.orderID = id; return e }
func (e *apiError) withAPIKey(id string) *apiError  { e.apiKeyID = id; return e }

// problemBody is the wire form; extension members are omitted when unset but
// param is always present (null when the error is not about one parameter).
type problemBody struct {
	Type        string  `json:"type"`
	Title       string  `json:"title"`
	Status      int     `json:"status"`
	Detail      string  `json:"detail"`
	Code        string  `json:"code"`
	DeclineCode string  `json:"decline_code,omitempty"`
	Param       *string `json:"param"`
	RequestID   string  `json:"request_id"`
	PaymentID   string  `json:"payment_id,omitempty"`
	OrderID     string  `json:"order_id,omitempty"`
	ExistingID  string  `json:"existing_id,omitempty"`
	APIKeyID    string  `json:"api_key_id,omitempty"`
	DisputeID   string  `json:"dispute_id,omitempty"`
}

// response is one answer as the idempotency store keeps it.
type response struct {
	status      int
	body        []byte
	contentType string
	retryAfter  int
	shouldRetry string // "", "true" or "false"
	code        string // problem code, for the storage rule
}

func (e *apiError) response(requestID string) response {
	b, _ := json.Marshal(problemBody{
		Type:        "https://docs.tokenim.com/errors/" + e.code,
		Title:       e.title,
		Status:      e.status,
		Detail:      e.detail,
		Code:        e.code,
		DeclineCode: e.declineCode,
		Param:       e.param,
		RequestID:   requestID,
		PaymentID:   e.paymentID,
		OrderID:     e.orderID,
		ExistingID:  e.existingID,
		APIKeyID:    e.apiKeyID,
		DisputeID:   e.disputeID,
	})
	r := response{status: e.status, body: b, contentType: "application/problem+json", retryAfter: e.retryAfter, code: e.code}
	switch {
	case e.status == 409 && e.code == "idempotency_key_in_use", e.status == 429, e.status == 503:
		r.shouldRetry = "true"
	case e.status == 409, e.status == 422:
		r.shouldRetry = "false"
	}
	return r
}

func jsonResponse(v any) response {
	b, err := json.Marshal(v)
	if err != nil {
		return response{status: 500, body: []byte(`{}`), contentType: "application/json"}
	}
	return response{status: 200, body: b, contentType: "application/json"}
}

// storable reports whether an idempotent request's answer is kept (§2).
func (r response) storable() bool {
	switch {
	case r.status >= 200 && r.status < 300, r.status == 402, r.status == 404:
		return true
	case r.status == 409:
		return r.code != "idempotency_key_in_use"
	}
	return false
}
