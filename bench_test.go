package tokenim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// newPaymentServer is the in-process handler both benchmarks call: it reads
// the body and answers a payment, like the platform.
func newPaymentServer(b *testing.B) *httptest.Server {
	body := []byte(paymentJSON)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Request-Id", "req_bench000000000000000001")
		w.Header().Set("Tokenim-Version", APIVersion)
		w.Header().Set("Idempotent-Replayed", "false")
		_, _ = w.Write(body)
	}))
	b.Cleanup(srv.Close)
	return srv
}

func benchTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 16
	return t
}

func benchParams() *PaymentCreateParams {
	return &PaymentCreateParams{OrderID: "ord_123", Method: Card("4242424242424242", 12, 2030, "123")}
}

// BenchmarkClient_CreatePayment is one Payments.Create through the client.
func BenchmarkClient_CreatePayment(b *testing.B) { benchmarkCreatePayment(b) }

// benchmarkCreatePayment runs Payments.Create over loopback through a
// client built with opts.
func benchmarkCreatePayment(b *testing.B, opts ...Option) {
	srv := newPaymentServer(b)
	tr := benchTransport()
	defer tr.CloseIdleConnections()
	c, err := NewClient(testKey, append([]Option{WithMerchantID(testMerchantID), WithBaseURL(srv.URL),
		WithHTTPClient(&http.Client{Transport: tr})}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	params := benchParams()
	b.ReportAllocs()
	for b.Loop() {
		p, err := c.Payments.Create(ctx, params)
		if err != nil || p.ID != "pay_123" {
			b.Fatal(err)
		}
	}
}

// BenchmarkRawHTTP_CreatePayment does the same call with bare net/http and
// encoding/json: same headers, same body, same decoding.
func BenchmarkRawHTTP_CreatePayment(b *testing.B) {
	srv := newPaymentServer(b)
	tr := benchTransport()
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	ctx := context.Background()
	params := benchParams()
	b.ReportAllocs()
	url := srv.URL + "/v1/payments"
	for b.Loop() {
		rawCreatePayment(b, ctx, hc, url, params)
	}
}

// benchParallelism is SetParallelism's factor for the parallel pair: 32 per
// GOMAXPROCS, 64 goroutines on a 2-core machine.
const benchParallelism = 32

// parallelTransport keeps an idle connection per goroutine of the parallel
// pair, so neither side pays for new connections.
func parallelTransport() *http.Transport {
	t := benchTransport()
	t.MaxIdleConnsPerHost = 256
	return t
}

// BenchmarkClient_CreatePaymentParallel is BenchmarkClient_CreatePayment
// from 32 goroutines per core: pooled state, timers and contexts under
// contention. Compare ns/op (the inverse of throughput) with
// BenchmarkRawHTTP_CreatePaymentParallel.
func BenchmarkClient_CreatePaymentParallel(b *testing.B) {
	srv := newPaymentServer(b)
	tr := parallelTransport()
	defer tr.CloseIdleConnections()
	c, err := NewClient(testKey, WithMerchantID(testMerchantID), WithBaseURL(srv.URL), WithHTTPClient(&http.Client{Transport: tr}))
	if err != nil {
		b.Fatal(err)
	}
	params := benchParams()
	b.ReportAllocs()
	b.SetParallelism(benchParallelism)
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			p, err := c.Payments.Create(ctx, params)
			if err != nil || p.ID != "pay_123" {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkRawHTTP_CreatePaymentParallel is the bare net/http baseline of
// BenchmarkClient_CreatePaymentParallel.
func BenchmarkRawHTTP_CreatePaymentParallel(b *testing.B) {
	srv := newPaymentServer(b)
	tr := parallelTransport()
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	params := benchParams()
	url := srv.URL + "/v1/payments"
	b.ReportAllocs()
	b.SetParallelism(benchParallelism)
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			rawCreatePayment(b, ctx, hc, url, params)
		}
	})
}

// staticTransport answers every request in memory with a payment, so the
// *Overhead benchmarks measure the SDK's own cost without loopback noise.
type staticTransport struct{ body []byte }

func (s staticTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	return &http.Response{
		StatusCode: 200, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/json"}, "Request-Id": {"req_bench"}},
		Body:          io.NopCloser(bytes.NewReader(s.body)),
		ContentLength: int64(len(s.body)), Request: req,
	}, nil
}

// BenchmarkClientOverhead_CreatePayment is Payments.Create over an in-memory
// transport: everything the SDK adds, nothing of the network.
func BenchmarkClientOverhead_CreatePayment(b *testing.B) {
	c, err := NewClient(testKey, WithMerchantID(testMerchantID), WithBaseURL(testBaseURL),
		WithHTTPClient(&http.Client{Transport: staticTransport{[]byte(paymentJSON)}}))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	params := benchParams()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Payments.Create(ctx, params); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRawOverhead_CreatePayment is the bare net/http equivalent over the
// same in-memory transport, with the same per-attempt timeout as the client
// (net/http arms a timer per request for a transport it does not know).
func BenchmarkRawOverhead_CreatePayment(b *testing.B) {
	hc := &http.Client{Transport: staticTransport{[]byte(paymentJSON)}, Timeout: defaultTimeout}
	ctx := context.Background()
	params := benchParams()
	b.ReportAllocs()
	for b.Loop() {
		rawCreatePayment(b, ctx, hc, testBaseURL+"/v1/payments", params)
	}
}

// rawCreatePayment is one create-payment call done by hand with net/http and
// encoding/json, sending what the client sends: the baseline both pairs use.
func rawCreatePayment(b *testing.B, ctx context.Context, hc *http.Client, url string, params *PaymentCreateParams) {
	body, err := json.Marshal(params)
	if err != nil {
		b.Fatal(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testKey)
	req.Header.Set("Tokenim-Merchant-Id", testMerchantID)
	req.Header.Set("Tokenim-Version", APIVersion)
	req.Header.Set("User-Agent", "tokenim-go/"+Version)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", newIdempotencyKey())
	resp, err := hc.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	var p Payment
	err = json.NewDecoder(resp.Body).Decode(&p)
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		b.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || p.ID != "pay_123" {
		b.Fatal("unexpected answer") // no values: formatting them would move p to the heap
	}
}
