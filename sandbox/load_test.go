package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const loadClients = 32

// BenchmarkLoad_CreateOrderAndPayment drives create-order + create-payment
// from 32 concurrent clients over loopback, against the sandbox and, for
// scale, against a bare net/http JSON handler in the same run. One op is one
// order plus its payment (two requests). Metrics: req/s, p50/p99 latency of a
// single request, and heap bytes retained per stored payment (sandbox only).
//
//	go test -run '^$' -bench Load -benchtime 4000x ./sandbox/
func BenchmarkLoad_CreateOrderAndPayment(b *testing.B) {
	b.Run("sandbox", func(b *testing.B) {
		srv := NewServer(WithFrozenClock(t0))
		defer srv.Close()
		runLoad(b, srv.URL, srv.APIKey(), srv.MerchantID, true)
	})
	b.Run("bare", func(b *testing.B) {
		ts := httptest.NewServer(http.HandlerFunc(bareJSON))
		defer ts.Close()
		runLoad(b, ts.URL, DefaultAPIKey, DefaultMerchantID, false)
	})
}

// bareJSON is the baseline: decode the JSON body, answer a small JSON object.
func bareJSON(w http.ResponseWriter, r *http.Request) {
	var v map[string]any
	if err := json.NewDecoder(r.Body).Decode(&v); err != nil {
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"id": "ord_bare", "object": "order", "status": "open", "echo": v})
}

func runLoad(b *testing.B, base, key, merchant string, measureHeap bool) {
	b.ReportAllocs()
	tr := &http.Transport{MaxIdleConns: 2 * loadClients, MaxIdleConnsPerHost: 2 * loadClients}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	post := func(path, idem string, body []byte) ([]byte, time.Duration, error) {
		req, err := http.NewRequest("POST", base+path, bytes.NewReader(body))
		if err != nil {
			return nil, 0, err
		}
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Tokenim-Merchant-Id", merchant)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", idem)
		start := time.Now()
		resp, err := hc.Do(req)
		if err != nil {
			return nil, 0, err
		}
		out, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return nil, 0, fmt.Errorf("%s: status %d: %s", path, resp.StatusCode, out)
		}
		return out, time.Since(start), err
	}

	var heapBefore uint64
	if measureHeap {
		heapBefore = heapInUse()
	}
	var next atomic.Int64
	lat := make([][]time.Duration, loadClients)
	var wg sync.WaitGroup
	var failed atomic.Value
	b.ResetTimer()
	start := time.Now()
	for c := range loadClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				ob := fmt.Appendf(nil, `{"merchant_order_id":"load_%d","amount":%d,"currency":"CNY","metadata":{"cart":"c%d"}}`, i, 1000+i%50, i)
				out, d1, err := post("/v1/orders", fmt.Sprint("o", i), ob)
				if err != nil {
					failed.Store(err)
					return
				}
				var ord struct{ ID string }
				_ = json.Unmarshal(out, &ord)
				if ord.ID == "" {
					ord.ID = "ord_bare"
				}
				pb := fmt.Appendf(nil, `{"order_id":%q,"method":{"type":"card","card":{"number":"4242424242424242","exp_month":12,"exp_year":2030,"cvc":"123"}}}`, ord.ID)
				_, d2, err := post("/v1/payments", fmt.Sprint("p", i), pb)
				if err != nil {
					failed.Store(err)
					return
				}
				lat[c] = append(lat[c], d1, d2)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if err, ok := failed.Load().(error); ok {
		b.Fatal(err)
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "req/s")
	if len(all) > 0 {
		b.ReportMetric(float64(all[len(all)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
	}
	if measureHeap {
		after := heapInUse()
		per := 0.0
		if after > heapBefore {
			per = float64(after-heapBefore) / float64(b.N)
		}
		b.ReportMetric(per, "B/payment")
	}
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
