package tokenim

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func whRequest(t testing.TB, id string, body []byte, secrets ...string) *http.Request {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/webhooks", bytes.NewReader(body))
	for k, v := range whHeader(t, id, whNow, body, secrets...) {
		req.Header[k] = v
	}
	return req
}

func whServe(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// whHandler builds a handler whose verifier takes both test secrets and
// whose clock is whNow.
func whHandler(t testing.TB, fn func(context.Context, *Event) error, opts ...WebhookHandlerOption) *WebhookHandler {
	t.Helper()
	h, err := NewWebhookHandler(whVerifier(t, []string{whSecretNew, whSecretOld}), fn, opts...)
	require.NoError(t, err)
	return h
}

func TestWebhookHandler_success(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	var got *Event
	h := whHandler(t, func(_ context.Context, e *Event) error {
		calls.Add(1)
		got = e
		return nil
	})
	rec := whServe(h, whRequest(t, "evt_123", whEventBody, whSecretNew))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, int32(1), calls.Load())
	require.NotNil(t, got)
	assert.Equal(t, "evt_123", got.ID)
	assert.Equal(t, EventOrderPaid, got.Type)
}

func TestWebhookHandler_duplicateIsAcknowledgedWithoutCallingAgain(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	h := whHandler(t, func(context.Context, *Event) error { calls.Add(1); return nil })

	assert.Equal(t, http.StatusOK, whServe(h, whRequest(t, "evt_123", whEventBody, whSecretNew)).Code)
	// The platform's redelivery: same id, signed again (here with the old secret).
	assert.Equal(t, http.StatusOK, whServe(h, whRequest(t, "evt_123", whEventBody, whSecretOld)).Code)
	assert.Equal(t, int32(1), calls.Load())

	// Another event runs.
	other := bytes.Replace(whEventBody, []byte("evt_123"), []byte("evt_124"), 1)
	assert.Equal(t, http.StatusOK, whServe(h, whRequest(t, "evt_124", other, whSecretNew)).Code)
	assert.Equal(t, int32(2), calls.Load())
}

func TestWebhookHandler_concurrentDuplicatesRunOnce(t *testing.T) {
	t.Parallel()
	const n = 64
	var calls atomic.Int32
	release := make(chan struct{})
	h := whHandler(t, func(context.Context, *Event) error {
		calls.Add(1)
		<-release // hold the reservation until every duplicate has been answered
		return nil
	})
	codes := make(chan int, n)
	for range n {
		req := whRequest(t, "evt_123", whEventBody, whSecretNew)
		go func() { codes <- whServe(h, req).Code }()
	}
	for range n - 1 {
		assert.Equal(t, http.StatusConflict, <-codes, "a duplicate while the first is running")
	}
	close(release)
	assert.Equal(t, http.StatusOK, <-codes)
	assert.Equal(t, int32(1), calls.Load())

	// After the first finished, duplicates are acknowledged.
	assert.Equal(t, http.StatusOK, whServe(h, whRequest(t, "evt_123", whEventBody, whSecretNew)).Code)
	assert.Equal(t, int32(1), calls.Load())
}

func TestWebhookHandler_inProgressDuplicateAsksForRetry(t *testing.T) {
	t.Parallel()
	store := &MemoryWebhookIDStore{}
	_, err := store.Reserve(context.Background(), "evt_123")
	require.NoError(t, err)
	h := whHandler(t, func(context.Context, *Event) error { t.Error("fn called for an id in progress"); return nil }, WithWebhookIDStore(store))
	rec := whServe(h, whRequest(t, "evt_123", whEventBody, whSecretNew))
	assert.Equal(t, http.StatusConflict, rec.Code)
	assert.NotEmpty(t, rec.Header().Get("Retry-After"))
}

func TestWebhookHandler_errorThenRetryRunsAgain(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	h := whHandler(t, func(context.Context, *Event) error {
		if calls.Add(1) == 1 {
			return errors.New("database down")
		}
		return nil
	})
	rec := whServe(h, whRequest(t, "evt_123", whEventBody, whSecretNew))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.NotContains(t, rec.Body.String(), "database down")

	assert.Equal(t, http.StatusOK, whServe(h, whRequest(t, "evt_123", whEventBody, whSecretNew)).Code)
	assert.Equal(t, http.StatusOK, whServe(h, whRequest(t, "evt_123", whEventBody, whSecretNew)).Code)
	assert.Equal(t, int32(2), calls.Load(), "the retry ran fn, the third delivery did not")
}

// whLogBuffer is a goroutine-safe log sink.
type whLogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *whLogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *whLogBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.buf.String() }

func TestWebhookHandler_panicIsRecoveredAndRetried(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	logs := &whLogBuffer{}
	h := whHandler(t, func(context.Context, *Event) error {
		if calls.Add(1) == 1 {
			panic("nil map in merchant code")
		}
		return nil
	}, WithWebhookLogger(slog.New(slog.NewTextHandler(logs, nil))))

	var rec *httptest.ResponseRecorder
	require.NotPanics(t, func() { rec = whServe(h, whRequest(t, "evt_123", whEventBody, whSecretNew)) })
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.NotContains(t, rec.Body.String(), "nil map")
	assert.Contains(t, logs.String(), "nil map in merchant code")
	assert.Contains(t, logs.String(), "evt_123")

	assert.Equal(t, http.StatusOK, whServe(h, whRequest(t, "evt_123", whEventBody, whSecretNew)).Code)
	assert.Equal(t, int32(2), calls.Load())
}

func TestWebhookHandler_abortPanicPropagatesAndReleases(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	h := whHandler(t, func(context.Context, *Event) error {
		if calls.Add(1) == 1 {
			panic(http.ErrAbortHandler)
		}
		return nil
	})
	assert.PanicsWithValue(t, http.ErrAbortHandler, func() { whServe(h, whRequest(t, "evt_123", whEventBody, whSecretNew)) })
	assert.Equal(t, http.StatusOK, whServe(h, whRequest(t, "evt_123", whEventBody, whSecretNew)).Code)
	assert.Equal(t, int32(2), calls.Load())
}

type whCtxKey struct{}

func TestWebhookHandler_passesRequestContext(t *testing.T) {
	t.Parallel()
	var got any
	h := whHandler(t, func(ctx context.Context, _ *Event) error { got = ctx.Value(whCtxKey{}); return nil })
	req := whRequest(t, "evt_123", whEventBody, whSecretNew)
	req = req.WithContext(context.WithValue(req.Context(), whCtxKey{}, "trace-42"))
	assert.Equal(t, http.StatusOK, whServe(h, req).Code)
	assert.Equal(t, "trace-42", got)
}

func TestWebhookHandler_methodNotAllowed(t *testing.T) {
	t.Parallel()
	h := whHandler(t, func(context.Context, *Event) error { t.Error("fn called"); return nil })
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodHead, http.MethodDelete} {
		req := whRequest(t, "evt_123", whEventBody, whSecretNew)
		req.Method = m
		rec := whServe(h, req)
		assert.Equal(t, http.StatusMethodNotAllowed, rec.Code, m)
		assert.Equal(t, http.MethodPost, rec.Header().Get("Allow"), m)
	}
}

func TestWebhookHandler_bodyTooLarge(t *testing.T) {
	t.Parallel()
	h := whHandler(t, func(context.Context, *Event) error { t.Error("fn called"); return nil }, WithWebhookMaxBodyBytes(int64(len(whEventBody)-1)))

	rec := whServe(h, whRequest(t, "evt_123", whEventBody, whSecretNew))
	assert.Equal(t, http.StatusRequestEntityTooLarge, rec.Code, "declared length")

	req := whRequest(t, "evt_123", whEventBody, whSecretNew)
	req.ContentLength = -1 // chunked: only reading finds out
	rec = whServe(h, req)
	assert.Equal(t, http.StatusRequestEntityTooLarge, rec.Code, "unknown length")

	fits := whHandler(t, func(context.Context, *Event) error { return nil }, WithWebhookMaxBodyBytes(int64(len(whEventBody))))
	assert.Equal(t, http.StatusOK, whServe(fits, whRequest(t, "evt_123", whEventBody, whSecretNew)).Code, "exactly the limit")
}

func TestWebhookHandler_defaultBodyLimitIsOneMiB(t *testing.T) {
	t.Parallel()
	h := whHandler(t, func(context.Context, *Event) error { return nil })
	big := make([]byte, DefaultWebhookMaxBodyBytes+1)
	rec := whServe(h, whRequest(t, "evt_123", big, whSecretNew))
	assert.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
}

func TestWebhookHandler_rejectsUnverifiedWithoutDetail(t *testing.T) {
	t.Parallel()
	logs := &whLogBuffer{}
	h := whHandler(t, func(context.Context, *Event) error { t.Error("fn called"); return nil },
		WithWebhookLogger(slog.New(slog.NewTextHandler(logs, nil))))

	forged := whRequest(t, "evt_123", whEventBody, whSecretNew)
	forged.Body = io.NopCloser(bytes.NewReader(bytes.Replace(whEventBody, []byte("1999"), []byte("1"), 1)))
	stale := whRequest(t, "evt_123", whEventBody, whSecretNew)
	stale.Header.Set(WebhookTimestampHeader, strconv.FormatInt(whNow.Add(-time.Hour).Unix(), 10))
	unsigned := httptest.NewRequest(http.MethodPost, "/webhooks", bytes.NewReader(whEventBody))
	wrongSecret := whRequest(t, "evt_123", whEventBody, "whsec_"+base64.StdEncoding.EncodeToString([]byte("attacker-secret-attacker-secret!")))
	notEvent := whRequest(t, "evt_123", []byte(`{"hello":"world"}`), whSecretNew)

	var bodies []string
	for name, req := range map[string]*http.Request{"forged": forged, "stale": stale, "unsigned": unsigned, "wrong secret": wrongSecret, "not an event": notEvent} {
		rec := whServe(h, req)
		assert.Equal(t, http.StatusBadRequest, rec.Code, name)
		bodies = append(bodies, rec.Body.String())
	}
	for _, b := range bodies {
		assert.Equal(t, "invalid webhook\n", b, "every rejection looks the same to the sender")
	}
	out := logs.String()
	assert.Contains(t, out, "too old", "the merchant's log says why")
	assert.NotContains(t, out, strings.TrimPrefix(whSecretNew, "whsec_"))
	assert.NotContains(t, out, strings.TrimPrefix(whIndependentSig(t, whSecretNew, "evt_123", strconv.FormatInt(whNow.Unix(), 10), whEventBody), "v1,"))
}

func TestWebhookHandler_nilBodyIsRejectedNotPanicking(t *testing.T) {
	t.Parallel()
	h := whHandler(t, func(context.Context, *Event) error { t.Error("fn called"); return nil })
	req := whRequest(t, "evt_123", whEventBody, whSecretNew)
	req.Body, req.ContentLength = nil, 0
	var rec *httptest.ResponseRecorder
	require.NotPanics(t, func() { rec = whServe(h, req) })
	assert.Equal(t, http.StatusBadRequest, rec.Code)
}

func TestWebhookHandler_unknownEventTypeIsDelivered(t *testing.T) {
	t.Parallel()
	var got EventType
	h := whHandler(t, func(_ context.Context, e *Event) error { got = e.Type; return nil })
	body := []byte(`{"id":"evt_5","object":"event","type":"payout.paid","data":{"object":{}}}`)
	assert.Equal(t, http.StatusOK, whServe(h, whRequest(t, "evt_5", body, whSecretNew)).Code)
	assert.Equal(t, EventType("payout.paid"), got)
}

type whFailingStore struct{ MemoryWebhookIDStore }

func (*whFailingStore) Reserve(context.Context, string) (WebhookIDState, error) {
	return 0, errors.New("redis unreachable")
}

func TestWebhookHandler_storeFailureAsksForRetry(t *testing.T) {
	t.Parallel()
	h := whHandler(t, func(context.Context, *Event) error { t.Error("fn called"); return nil }, WithWebhookIDStore(&whFailingStore{}))
	rec := whServe(h, whRequest(t, "evt_123", whEventBody, whSecretNew))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.NotContains(t, rec.Body.String(), "redis")
}

type whDoneFailingStore struct{ MemoryWebhookIDStore }

func (*whDoneFailingStore) Done(context.Context, string) error { return errors.New("redis timeout") }

func TestWebhookHandler_storeDoneFailureStillAcknowledges(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	logs := &whLogBuffer{}
	h := whHandler(t, func(context.Context, *Event) error { calls.Add(1); return nil },
		WithWebhookIDStore(&whDoneFailingStore{}), WithWebhookLogger(slog.New(slog.NewTextHandler(logs, nil))))
	assert.Equal(t, http.StatusOK, whServe(h, whRequest(t, "evt_123", whEventBody, whSecretNew)).Code, "fn ran: no redelivery wanted")
	assert.Equal(t, int32(1), calls.Load())
	assert.Contains(t, logs.String(), "redis timeout")
}

func TestWebhookHandler_usesItsVerifier(t *testing.T) {
	t.Parallel()
	// The verifier's clock and tolerance decide, not the handler's defaults:
	// a delivery one minute old is stale under a 30 s tolerance.
	v := whVerifier(t, []string{whSecretNew}, WithWebhookClock(whFixedClock(whNow.Add(time.Minute))), WithWebhookTolerance(30*time.Second))
	h, err := NewWebhookHandler(v, func(context.Context, *Event) error { return nil })
	require.NoError(t, err)
	assert.Equal(t, http.StatusBadRequest, whServe(h, whRequest(t, "evt_123", whEventBody, whSecretNew)).Code)

	// One verifier serves several handlers.
	h2, err := NewWebhookHandler(whVerifier(t, []string{whSecretNew}), func(context.Context, *Event) error { return nil })
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, whServe(h2, whRequest(t, "evt_123", whEventBody, whSecretNew)).Code)
}

func TestNewWebhookHandler_ignoresNilOptions(t *testing.T) {
	t.Parallel()
	h, err := NewWebhookHandler(whVerifier(t, []string{whSecretNew}), func(context.Context, *Event) error { return nil }, nil)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, whServe(h, whRequest(t, "evt_1", whEventBody, whSecretNew)).Code)
}

func TestNewWebhookHandler_rejectsBadConfig(t *testing.T) {
	t.Parallel()
	ok := func(context.Context, *Event) error { return nil }
	v := whVerifier(t, []string{whSecretNew})
	tests := []struct {
		name     string
		verifier *WebhookVerifier
		fn       func(context.Context, *Event) error
		opts     []WebhookHandlerOption
		want     string
	}{
		{"nil verifier", nil, ok, nil, "verifier"},
		{"nil fn", v, nil, nil, "function"},
		{"nil store", v, ok, []WebhookHandlerOption{WithWebhookIDStore(nil)}, "store"},
		{"zero body limit", v, ok, []WebhookHandlerOption{WithWebhookMaxBodyBytes(0)}, "body"},
		{"negative body limit", v, ok, []WebhookHandlerOption{WithWebhookMaxBodyBytes(-1)}, "body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, err := NewWebhookHandler(tt.verifier, tt.fn, tt.opts...)
			assert.Nil(t, h)
			assert.ErrorContains(t, err, tt.want)
		})
	}
}
