package sandbox

import (
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkIdempotencyHeap measures memory, not time: b.N keyed POSTs
// driven through ServeHTTP in-process, each with a fresh Idempotency-Key,
// and the heap retained afterwards per key. The sandbox must take them all
// without a 503 (docs/contract-decisions.md, idempotency store); the
// benchmark fails on the first answer that is not the expected one.
//
//   - orders: POST /v1/orders, one new order per key (the load of
//     bench/cmd/compare); reports heap-B/key (order plus key).
//   - orders_unkeyed: the same POSTs without a key; reports heap-B/order,
//     so heap per key = orders − orders_unkeyed.
//   - key_only: POST /v1/orders/ord_missing/cancel, a stored 404 that
//     creates nothing: the store's own cost per key, its coded error body
//     included.
//
// Ten million keys (key_only holds about 2.3 GB of heap; orders about 7.5 GB,
// most of it the orders themselves):
//
//	go test -run '^$' -bench IdempotencyHeap/key_only -benchtime 10000000x ./sandbox/
func BenchmarkIdempotencyHeap(b *testing.B) {
	cases := []struct {
		name, path string
		keyed      bool
		want       int
		metric     string
	}{
		{"orders", "/v1/orders", true, 200, "heap-B/key"},
		{"orders_unkeyed", "/v1/orders", false, 200, "heap-B/order"},
		{"key_only", "/v1/orders/ord_missing/cancel", true, 404, "heap-B/key"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			sb := New(WithFrozenClock(t0), WithIdempotencyCapacity(b.N+1))
			defer sb.Close()
			m := sb.DefaultMerchant()
			w := &discardWriter{h: http.Header{}}
			body := &strings.Reader{}
			req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1"+c.path, body)
			req.Header.Set("Authorization", "Bearer "+m.APIKey())
			req.Header.Set("Tokenim-Merchant-Id", m.ID)
			req.Header.Set("Content-Type", "application/json")
			before := int64(heapInUse())
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				id := "heap-" + strconv.Itoa(i)
				if c.path == "/v1/orders" {
					body.Reset(`{"merchant_order_id":"` + id + `","amount":1999,"currency":"CNY"}`)
				} else {
					body.Reset(`{}`)
				}
				req.Body = readCloser{body}
				if c.keyed {
					req.Header.Set("Idempotency-Key", id)
				}
				w.status = 0
				sb.ServeHTTP(w, req)
				if w.status != c.want {
					b.Fatalf("POST %d of %d answered %d, want %d", i+1, b.N, w.status, c.want)
				}
			}
			b.StopTimer()
			after := int64(heapInUse())
			b.ReportMetric(float64(after-before)/float64(b.N), c.metric)
			runtime.KeepAlive(sb)
		})
	}
}

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }

// discardWriter is a ResponseWriter that keeps only the status.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header { clear(w.h); return w.h }
func (w *discardWriter) WriteHeader(s int)   { w.status = s }
func (w *discardWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = 200
	}
	return len(p), nil
}
