// Package chaos proves the client and the sandbox together under failure:
// exactly-once checkouts under a seeded fault plan, a storm of callers
// sharing one idempotency key, webhook deliveries that fail and duplicate,
// and no goroutine or connection left behind.
package chaos

import (
	"bufio"
	"flag"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	tokenim "github.com/tokenim/tokenim-go"
	"github.com/tokenim/tokenim-go/internal/apispec"
	"github.com/tokenim/tokenim-go/sandbox"
)

var chaosN = flag.Int("chaos.n", 500, "checkouts driven by TestChaos_exactlyOnceCheckouts (e.g. -chaos.n=20000 for the long form)")

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// faultCounter counts, on the sandbox's side of the wire, the answers that
// come from the fault plan: dropped connections, 5xx and 429.
type faultCounter struct {
	requests, drops, unavailable, rateLimited atomic.Int64
}

func (fc *faultCounter) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/v1/") {
			next.ServeHTTP(w, r)
			return
		}
		fc.requests.Add(1)
		cw := &countingWriter{ResponseWriter: w}
		next.ServeHTTP(cw, r)
		switch {
		case cw.hijacked:
			fc.drops.Add(1)
		case cw.status >= 500:
			fc.unavailable.Add(1)
		case cw.status == http.StatusTooManyRequests:
			fc.rateLimited.Add(1)
		}
	})
}

type countingWriter struct {
	http.ResponseWriter
	status   int
	hijacked bool
}

func (w *countingWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *countingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.hijacked = true
	}
	return conn, rw, err
}

func (w *countingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// platform is an in-process sandbox on a loopback listener, with its faults
// counted and every exchange checked against api/openapi.yaml (fault answers
// and replays included), and the transport its clients share.
type platform struct {
	sb     *sandbox.Sandbox
	rec    *apispec.Recorder
	ts     *httptest.Server
	tr     *http.Transport
	faults faultCounter
}

func newPlatform(t testing.TB, opts ...sandbox.Option) *platform {
	t.Helper()
	p := &platform{sb: sandbox.New(opts...), rec: apispec.NewRecorder(t)}
	p.ts = httptest.NewServer(p.faults.wrap(p.rec.Handler(p.sb)))
	p.tr = http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(p.close)
	return p
}

// close shuts the listener, the sandbox (timers, deliveries) and the client
// side's idle connections.
func (p *platform) close() {
	p.ts.Close()
	p.sb.Close()
	p.tr.CloseIdleConnections()
}

// client returns a client for the default merchant with fast retries: the
// contract's Retry-After is honoured but capped by the maximum wait.
func (p *platform) client(t testing.TB, opts ...tokenim.Option) *tokenim.Client {
	t.Helper()
	m := p.sb.DefaultMerchant()
	base := []tokenim.Option{
		tokenim.WithBaseURL(p.ts.URL),
		tokenim.WithMerchantID(m.ID),
		tokenim.WithHTTPClient(&http.Client{Transport: p.tr}),
		tokenim.WithRetryWait(time.Millisecond, 5*time.Millisecond),
	}
	c, err := tokenim.NewClient(m.APIKey(), append(base, opts...)...)
	require.NoError(t, err)
	return c
}
