package tokenim

import (
	"context"
	"net/http"
	"time"
)

// StatusService reads the platform's status. API: /v1/status
type StatusService service

// PlatformState is the platform's overall state.
type PlatformState string

// Platform states. During maintenance every call but Status.Get answers 503.
const (
	PlatformOperational PlatformState = "operational"
	PlatformDegraded    PlatformState = "degraded"
	PlatformMaintenance PlatformState = "maintenance"
)

// PlatformStatus is the answer of Status.Get. API: GET /v1/status
type PlatformStatus struct {
	Object    string        `json:"object"`
	Status    PlatformState `json:"status"`
	Message   string        `json:"message"`
	UpdatedAt time.Time     `json:"updated_at"`
}

// Get reads the platform status. It needs no authentication and is sent
// without the API key. API: GET /v1/status
func (s *StatusService) Get(ctx context.Context, opts ...RequestOption) (*PlatformStatus, error) {
	return fetch[PlatformStatus](ctx, s.client, endpoint{"Status.Get", http.MethodGet, "/v1/status", "", true}, "", nil, opts)
}
