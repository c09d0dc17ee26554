package tokenim

import (
	"context"
	"iter"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RequestLogsService reads the record of the merchant's API calls, kept 30
// days, for reviewing them for anything abnormal (docs/tokenim-api.md §7).
// A log never holds a body or a full key. API: /v1/request_logs
type RequestLogsService service

// RequestLog is one API call as the platform saw it; its ID is the call's
// Request-Id. ErrorCode, IdempotencyKey and APIKeyLast4 are empty when the
// platform recorded none (a 2xx, a call without a key, a /v1/api_keys call).
type RequestLog struct {
	ID             string    `json:"id"`
	Object         string    `json:"object"`
	Method         string    `json:"method"`
	Path           string    `json:"path"`
	Status         int       `json:"status"`
	ErrorCode      ErrorCode `json:"error_code"`
	IdempotencyKey string    `json:"idempotency_key"`
	Replayed       bool      `json:"replayed"`
	APIKeyLast4    string    `json:"api_key_last4"`
	DurationMS     int64     `json:"duration_ms"`
	CreatedAt      time.Time `json:"created_at"`
}

// String reads like a line of an access log:
// "2026-11-21T09:30:00Z POST /v1/orders 200 12ms key …4f2a req_1".
func (l RequestLog) String() string {
	var b strings.Builder
	b.WriteString(l.CreatedAt.UTC().Format(time.RFC3339) + " " + l.Method + " " + l.Path + " " + strconv.Itoa(l.Status))
	if l.ErrorCode != "" {
		b.WriteString(" " + string(l.ErrorCode))
	}
	b.WriteString(" " + strconv.FormatInt(l.DurationMS, 10) + "ms")
	if l.APIKeyLast4 != "" {
		b.WriteString(" key …" + l.APIKeyLast4)
	}
	if l.Replayed {
		b.WriteString(" replayed")
	}
	b.WriteString(" " + l.ID)
	return b.String()
}

// RequestLogListParams filter and page RequestLogs.List and All.
// API: GET /v1/request_logs
type RequestLogListParams struct {
	ListParams
	// Method is an HTTP method in upper case, such as "POST".
	Method string `url:"method,omitempty"`
	// Status is an exact status ("404") or a class: "2xx", "4xx", "5xx".
	Status string `url:"status,omitempty"`
	// Path is a path prefix, such as "/v1/payments".
	Path           string `url:"path,omitempty"`
	IdempotencyKey string `url:"idempotency_key,omitempty"`
	// CreatedGTE and CreatedLT bound created_at: at or after, and before.
	CreatedGTE *time.Time `url:"created_gte,omitempty"`
	CreatedLT  *time.Time `url:"created_lt,omitempty"`
}

func (p *RequestLogListParams) validateFilters() error {
	if p.Method != "" && (p.Method != strings.ToUpper(p.Method) || !isToken(p.Method)) {
		return invalid("method", "must be an HTTP method in upper case, such as GET or POST")
	}
	if p.Status != "" && !validStatusFilter(p.Status) {
		return invalid("status", "must be a status code such as 404, or 2xx, 4xx or 5xx")
	}
	if p.Path != "" && !strings.HasPrefix(p.Path, "/") {
		return invalid("path", "must be a path prefix starting with /, such as /v1/orders")
	}
	if p.IdempotencyKey != "" {
		if err := validateIdempotencyKey(p.IdempotencyKey); err != nil {
			return invalid("idempotency_key", "must be 1-255 visible ASCII characters")
		}
	}
	if p.CreatedGTE != nil && p.CreatedLT != nil && !p.CreatedGTE.Before(*p.CreatedLT) {
		return invalid("created_lt", "must be after created_gte")
	}
	return nil
}

func validStatusFilter(s string) bool {
	if len(s) != 3 {
		return false
	}
	if s[1:] == "xx" {
		return s[0] == '2' || s[0] == '4' || s[0] == '5'
	}
	n, err := strconv.Atoi(s)
	return err == nil && n >= 100 && n <= 599
}

var requestLogsList = newLister[RequestLogListParams](endpoint{"RequestLogs.List", http.MethodGet, "/v1/request_logs", "req_", false}, func(l *RequestLog) string { return l.ID })

// List returns one page of request logs, newest first.
// API: GET /v1/request_logs
func (s *RequestLogsService) List(ctx context.Context, params *RequestLogListParams, opts ...RequestOption) (*List[RequestLog], error) {
	return requestLogsList.page(ctx, s.client, params, opts)
}

// All iterates over every request log the filters select, newest first,
// fetching pages lazily. API: GET /v1/request_logs
func (s *RequestLogsService) All(ctx context.Context, params *RequestLogListParams, opts ...RequestOption) iter.Seq2[*RequestLog, error] {
	return requestLogsList.all(ctx, s.client, params, opts)
}

// Get retrieves the log of one call by its Request-Id.
// API: GET /v1/request_logs/{id}
func (s *RequestLogsService) Get(ctx context.Context, id string, opts ...RequestOption) (*RequestLog, error) {
	return fetch[RequestLog](ctx, s.client, endpoint{"RequestLogs.Get", http.MethodGet, "/v1/request_logs/{id}", "req_", false}, id, nil, opts)
}
