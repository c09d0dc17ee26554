package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// LoadResult is what a fixed-duration load run measured.
type LoadResult struct {
	OK       int64         // 2xx answers
	Failed   int64         // other answers and transport errors
	Duration time.Duration // measured window
	FirstErr string        // the first failure, for the report
}

// PerSecond is the rate of successful requests.
func (r LoadResult) PerSecond() float64 {
	if r.Duration <= 0 {
		return 0
	}
	return float64(r.OK) / r.Duration.Seconds()
}

// Target is one create endpoint under load: how to build the n-th request.
type Target struct {
	Name       string
	NewRequest func(ctx context.Context, n int64) (*http.Request, error)
}

// TokenimCreateOrder is POST /v1/orders on a sandbox, as the SDK sends it
// (JSON body, a fresh Idempotency-Key, a unique merchant_order_id).
func TokenimCreateOrder(base, apiKey, merchantID string) Target {
	run := runPrefix() // merchant_order_id and keys stay unique across runs
	return Target{Name: "POST /v1/orders", NewRequest: func(ctx context.Context, n int64) (*http.Request, error) {
		id := run + strconv.FormatInt(n, 10)
		body := []byte(`{"merchant_order_id":"` + id + `","amount":1999,"currency":"CNY"}`)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/orders", bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+apiKey)
		req.Header.Set("Tokenim-Merchant-Id", merchantID)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", id)
		return req, nil
	}}
}

// runPrefix is a prefix no earlier run used.
func runPrefix() string {
	return "load-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "-"
}

// StripeMockCreate is a form-encoded POST on stripe-mock, as stripe-go sends
// it (a fresh Idempotency-Key on every POST).
func StripeMockCreate(base, path, form string) Target {
	run := runPrefix()
	return Target{Name: "POST " + path, NewRequest: func(ctx context.Context, n int64) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, bytes.NewReader([]byte(form)))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer sk_test_123")
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Idempotency-Key", run+strconv.FormatInt(n, 10))
		return req, nil
	}}
}

// RunLoad keeps `clients` concurrent clients (each on its own keep-alive
// connection) sending target's request for warmup and then for d, and
// counts the answers of the measured window only.
func RunLoad(ctx context.Context, target Target, clients int, warmup, d time.Duration) LoadResult {
	tr := &http.Transport{
		MaxIdleConns:        clients,
		MaxIdleConnsPerHost: clients,
		MaxConnsPerHost:     clients,
		DisableCompression:  true,
	}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}

	var (
		seq, ok, failed atomic.Int64
		measuring       atomic.Bool
		firstErr        sync.Once
		res             LoadResult
		wg              sync.WaitGroup
	)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	fail := func(msg string) {
		if measuring.Load() {
			failed.Add(1)
		}
		firstErr.Do(func() { res.FirstErr = msg })
	}
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for runCtx.Err() == nil {
				req, err := target.NewRequest(runCtx, seq.Add(1))
				if err != nil {
					fail(err.Error())
					return
				}
				resp, err := hc.Do(req)
				if err != nil {
					if runCtx.Err() == nil {
						fail(err.Error())
					}
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				switch {
				case resp.StatusCode/100 != 2:
					fail(fmt.Sprintf("status %d", resp.StatusCode))
				case measuring.Load():
					ok.Add(1)
				}
			}
		}()
	}
	timer := time.NewTimer(warmup)
	select {
	case <-timer.C:
	case <-ctx.Done():
	}
	ok.Store(0)
	failed.Store(0)
	measuring.Store(true)
	start := time.Now()
	timer.Reset(d)
	select {
	case <-timer.C:
	case <-ctx.Done():
	}
	res.OK, res.Failed = ok.Load(), failed.Load()
	res.Duration = time.Since(start)
	measuring.Store(false)
	cancel()
	wg.Wait()
	return res
}

// Process is a server started as a separate program on a loopback port.
type Process struct {
	Name   string
	URL    string
	cmd    *exec.Cmd
	out    bytes.Buffer
	exited chan error
}

// FreeAddr returns a loopback address nothing listens on right now.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

// StartProcess runs bin with args and waits until GET ready (with header
// h) answers readyStatus, for at most timeout.
func StartProcess(ctx context.Context, name, bin string, args []string, url, ready string, h http.Header, readyStatus int, timeout time.Duration) (*Process, error) {
	p := &Process{Name: name, URL: url, cmd: exec.Command(bin, args...), exited: make(chan error, 1)}
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	exited := p.exited
	go func() { exited <- p.cmd.Wait() }()
	deadline := time.Now().Add(timeout)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+ready, nil)
		if err != nil {
			p.stop(exited)
			return nil, err
		}
		for k, v := range h {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == readyStatus {
				return p, nil
			}
		}
		select {
		case err := <-exited:
			return nil, fmt.Errorf("%s exited before it was ready (%v): %s", name, err, p.out.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop(exited)
			return nil, fmt.Errorf("%s not ready after %s: %s", name, timeout, p.out.String())
		}
	}
}

// Stop ends the process (interrupt, then kill after 5 s) and waits for it.
func (p *Process) Stop() {
	if p != nil {
		p.stop(p.exited)
	}
}

func (p *Process) stop(exited chan error) {
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-exited
	}
}
