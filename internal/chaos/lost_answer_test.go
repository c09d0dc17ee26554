package chaos

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	tokenim "github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/sandbox"
)

// dropThen503 executes the first attempt of every keyed POST and hangs up
// without an answer (as drop_after_commit does), then answers every later
// attempt of the same key 503, as an overloaded platform might.
type dropThen503 struct {
	next http.Handler
	mu   sync.Mutex
	seen map[string]int
}

func (d *dropThen503) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("Idempotency-Key")
	if r.Method != http.MethodPost || key == "" {
		d.next.ServeHTTP(w, r)
		return
	}
	d.mu.Lock()
	d.seen[key]++
	n := d.seen[key]
	d.mu.Unlock()
	if n == 1 {
		d.next.ServeHTTP(httptest.NewRecorder(), r) // committed, answer lost
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			_ = conn.Close()
		}
		return
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Retry-After", "1")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte(`{"type":"https://docs.tokenim.com/errors/service_unavailable","title":"Service unavailable","status":503,"detail":"Try again later.","code":"service_unavailable","request_id":"req_000000000000000000000000"}`))
}

// TestUnknownOutcome_droppedThenExhausted: a POST whose first attempt was
// committed and dropped and whose retries all got 503 must report an unknown
// outcome, not a plain 503 — a caller who retried that with a new key would
// refund twice, where no platform guard exists.
func TestUnknownOutcome_droppedThenExhausted(t *testing.T) {
	t.Parallel()
	sb := sandbox.New()
	ts := httptest.NewServer(&dropThen503{next: sb, seen: map[string]int{}})
	defer sb.Close()
	defer ts.Close()
	// No keep-alive: net/http would otherwise replay the dropped keyed POST
	// itself on a fresh connection and the client would never see the drop.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DisableKeepAlives = true
	defer tr.CloseIdleConnections()
	m := sb.DefaultMerchant()
	c, err := tokenim.NewClient(m.APIKey(), tokenim.WithBaseURL(ts.URL), tokenim.WithMerchantID(m.ID),
		tokenim.WithHTTPClient(&http.Client{Transport: tr}), tokenim.WithMaxRetries(2),
		tokenim.WithRetryWait(time.Millisecond, 5*time.Millisecond))
	require.NoError(t, err)
	ctx := context.Background()

	_, err = c.Orders.Create(ctx, &tokenim.OrderCreateParams{MerchantOrderID: "gap-1", Amount: 100, Currency: "USD"})
	require.Error(t, err)
	list, lerr := c.Orders.List(ctx, &tokenim.OrderListParams{MerchantOrderID: "gap-1"})
	require.NoError(t, lerr)
	require.Len(t, list.Data, 1, "the first attempt committed the order")
	assert.True(t, errors.Is(err, tokenim.ErrUnknownOutcome), "the call's effect happened, yet the error is %v", err)
}
