package tokenim

import (
	"cmp"
	"context"
	"iter"
	"net/http"
	"time"
)

// APIKeysService lists, rolls and revokes the merchant's API keys, so that
// keys can be rotated without downtime (docs/tokenim-api.md §7; see
// WithAPIKeyFunc for a running client and examples/key-rotation for the
// procedure). API: /v1/api_keys
type APIKeysService service

// APIKeyStatus is where a key is in its life: active, then expiring after a
// roll, then expired; or revoked, ended early.
type APIKeyStatus string

// API key states.
const (
	APIKeyActive   APIKeyStatus = "active"
	APIKeyExpiring APIKeyStatus = "expiring"
	APIKeyExpired  APIKeyStatus = "expired"
	APIKeyRevoked  APIKeyStatus = "revoked"
)

// APIKeyMode says whether a key works against the sandbox (test) or live.
type APIKeyMode string

// API key modes.
const (
	APIKeyModeTest APIKeyMode = "test"
	APIKeyModeLive APIKeyMode = "live"
)

// APIKey is one of the merchant's API keys. Secret is set only in the answer
// of Roll, and no format verb, slog handler or JSON encoding shows it.
type APIKey struct {
	ID         string       `json:"id"`
	Object     string       `json:"object"`
	Mode       APIKeyMode   `json:"mode"`
	Last4      string       `json:"last4"`
	Status     APIKeyStatus `json:"status"`
	CreatedAt  time.Time    `json:"created_at"`
	ExpiresAt  *time.Time   `json:"expires_at"`
	LastUsedAt *time.Time   `json:"last_used_at"`
	Secret     APIKeySecret `json:"secret"`
	// Version is the object's version (docs/tokenim-api.md §10): 1 at creation,
	// +1 on every change; an event's snapshot carries the version it was taken at.
	Version int64 `json:"version"`
}

// String reads like a line of a back office: "api key key_1 test …4f2a
// expiring".
func (k APIKey) String() string {
	return "api key " + k.ID + " " + string(k.Mode) + " …" + k.Last4 + " " + string(k.Status)
}

// APIKeyRollParams are the parameters of APIKeys.Roll.
// API: POST /v1/api_keys/{id}/roll
type APIKeyRollParams struct {
	// ExpireOldAfter is how long the old key goes on working, in whole
	// seconds up to 7 days. Zero means the platform default (24 h) unless
	// ExpireOldNow is set. Rolling the key the client calls with needs at
	// least a minute, so that a lost answer can be replayed with it.
	ExpireOldAfter time.Duration
	// ExpireOldNow ends the old key at once (not for the calling key).
	ExpireOldNow bool
}

// APIKeyListParams page APIKeys.List and All. API: GET /v1/api_keys
type APIKeyListParams struct {
	ListParams
}

var apiKeysList = newLister[APIKeyListParams](endpoint{"APIKeys.List", http.MethodGet, "/v1/api_keys", "key_", false}, func(k *APIKey) string { return k.ID })

// List returns one page of the merchant's API keys, newest first.
// API: GET /v1/api_keys
func (s *APIKeysService) List(ctx context.Context, params *APIKeyListParams, opts ...RequestOption) (*List[APIKey], error) {
	return apiKeysList.page(ctx, s.client, params, opts)
}

// All iterates over every API key of the merchant, fetching pages lazily.
// API: GET /v1/api_keys
func (s *APIKeysService) All(ctx context.Context, params *APIKeyListParams, opts ...RequestOption) iter.Seq2[*APIKey, error] {
	return apiKeysList.all(ctx, s.client, params, opts)
}

// Get retrieves an API key; its secret is never included.
// API: GET /v1/api_keys/{id}
func (s *APIKeysService) Get(ctx context.Context, id string, opts ...RequestOption) (*APIKey, error) {
	return fetch[APIKey](ctx, s.client, endpoint{"APIKeys.Get", http.MethodGet, "/v1/api_keys/{id}", "key_", false}, id, nil, opts)
}

// Roll makes a new active key and answers it with its Secret, the only time
// the secret is ever shown. The rolled key goes on working as expiring until
// its ExpiresAt, then fails with api_key_expired; deploy the new secret in
// between. A retry of a lost answer must use the same key and idempotency
// key. API: POST /v1/api_keys/{id}/roll
func (s *APIKeysService) Roll(ctx context.Context, id string, params *APIKeyRollParams, opts ...RequestOption) (*APIKey, error) {
	var p APIKeyRollParams
	if params != nil {
		p = *params
	}
	body, err := newRotateBody(p.ExpireOldAfter, p.ExpireOldNow)
	if err != nil {
		return nil, cmp.Or(validateID("id", "key_", id), err)
	}
	return fetch[APIKey](ctx, s.client, endpoint{"APIKeys.Roll", http.MethodPost, "/v1/api_keys/{id}/roll", "key_", false}, id, body, opts)
}

// Revoke ends an expiring key at once; it is then refused as
// invalid_api_key. The key the client calls with cannot revoke itself
// (cannot_revoke_current_key). API: POST /v1/api_keys/{id}/revoke
func (s *APIKeysService) Revoke(ctx context.Context, id string, opts ...RequestOption) (*APIKey, error) {
	return fetch[APIKey](ctx, s.client, endpoint{"APIKeys.Revoke", http.MethodPost, "/v1/api_keys/{id}/revoke", "key_", false}, id, nil, opts)
}

// APIKey decodes the snapshot of an api_key.* event: the rolled key, or the
// key that expired.
func (e *Event) APIKey() (*APIKey, error) {
	k := new(APIKey)
	return k, e.decode("api_key", k)
}
