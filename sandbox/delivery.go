package sandbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// retryDelays is the webhook retry schedule of §6, in sandbox time: after
// the first attempt fails, attempts follow at these delays; after the last
// one the delivery is given up.
var retryDelays = []time.Duration{
	5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour,
}

const deliveryTimeout = 10 * time.Second

// Delivery is one webhook delivery attempt: the attempt log that
// Deliveries returns and /_sandbox/deliveries shows. The delivery it belongs
// to (docs/tokenim-api.md §10) is DeliveryID.
type Delivery struct {
	// DeliveryID is the whd_ delivery the attempt belongs to.
	DeliveryID string `json:"delivery_id"`
	EventID    string `json:"event_id"`
	EventType  string `json:"event_type"`
	EndpointID string `json:"endpoint_id"`
	URL        string `json:"url"`
	// Attempt counts from 1 within its delivery; attempt n+1 follows
	// retryDelays[n-1] later.
	Attempt int `json:"attempt"`
	// StatusCode is the endpoint's answer, 0 when none arrived.
	StatusCode int `json:"status_code"`
	// Err says why the attempt failed ("" on success).
	Err string `json:"error"`
	// At is the sandbox time of the attempt (the signed webhook-timestamp is
	// real wall-clock time).
	At        time.Time `json:"at"`
	Succeeded bool      `json:"succeeded"`
	// Final is set on the last attempt of a delivery that was given up.
	Final bool `json:"final"`
	// Manual marks an attempt of a delivery made by a resend (POST
	// /v1/events/{id}/resend, the dashboard's button, ResendDelivery). Such
	// a delivery has its own retry schedule; the event's first delivery
	// keeps its own.
	Manual bool `json:"manual"`

	// What the dashboard shows of an attempt: how long the endpoint took
	// (real time) and the signature headers sent. None is a secret.
	took      time.Duration
	timestamp int64
	signature string
}

// deliverer runs webhook attempts in goroutines, tracked so that Close and
// FlushDeliveries can wait for them.
type deliverer struct {
	s         *Sandbox
	transport *http.Transport
	client    *http.Client
	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup

	mu       sync.Mutex
	inflight int
	idle     []chan struct{}
	log      ringLog[Delivery]
	gen      uint64
	closed   bool
}

func (d *deliverer) init(s *Sandbox) {
	d.s = s
	d.transport = http.DefaultTransport.(*http.Transport).Clone()
	d.transport.Proxy = nil
	d.client = &http.Client{Transport: d.transport, Timeout: deliveryTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	d.ctx, d.cancel = context.WithCancel(context.Background())
}

// start launches the next attempt of dl to ep at sandbox time at. The
// caller holds s.mu; the attempt itself runs without it.
func (d *deliverer) start(m *merchant, ep *endpoint, dl *webhookDelivery, at time.Time) {
	secrets := ep.activeSecrets(at)
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.inflight++
	gen := d.gen
	d.wg.Add(1)
	d.mu.Unlock()
	dl.NextAttemptAt = timestampPtr(at)
	go d.attempt(gen, m, dl, ep.ID, ep.URL, secrets, dl.AttemptCount+1, at)
}

// sign returns the webhook-signature header value: one v1 signature per secret.
func sign(secrets []string, id string, ts int64, body []byte) string {
	sigs := make([]string, 0, len(secrets))
	for _, sec := range secrets {
		mac := hmac.New(sha256.New, secretKey(sec))
		mac.Write([]byte(id + "." + strconv.FormatInt(ts, 10) + "."))
		mac.Write(body)
		sigs = append(sigs, "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	return strings.Join(sigs, " ")
}

// secretKey is the HMAC key of a whsec_ secret: its base64 payload decoded.
// Every secret the sandbox signs with passed CheckWebhookSecret or was made
// by newSecret, so it decodes.
func secretKey(secret string) []byte {
	k, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	return k
}

func (d *deliverer) attempt(gen uint64, m *merchant, dl *webhookDelivery, epID, url string, secrets []string, attempt int, at time.Time) {
	defer d.done()
	ev := dl.ev
	rec := Delivery{DeliveryID: dl.ID, EventID: ev.id, EventType: ev.typ, EndpointID: epID, URL: url,
		Attempt: attempt, At: at, Manual: dl.resend}
	ts := time.Now().Unix() // real wall clock, so a real verifier accepts it
	rec.timestamp = ts
	rec.signature = sign(secrets, ev.id, ts, ev.raw)
	began := time.Now()
	ctx, cancel := context.WithTimeout(d.ctx, deliveryTimeout)
	defer cancel()
	var failure string // the delivery's last_error
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(ev.raw))
	if err == nil {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "tokenim-sandbox-webhooks/1")
		req.Header.Set("webhook-id", ev.id)
		req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
		req.Header.Set("webhook-signature", rec.signature)
		var resp *http.Response
		resp, err = d.client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
			_ = resp.Body.Close()
			rec.StatusCode = resp.StatusCode
			rec.Succeeded = resp.StatusCode >= 200 && resp.StatusCode < 300
			if !rec.Succeeded {
				rec.Err = "endpoint answered " + resp.Status
			}
		}
	}
	if err != nil {
		rec.Err = err.Error()
		failure = attemptError(err)
	}
	rec.took = time.Since(began)
	retry := !rec.Succeeded && attempt <= len(retryDelays)
	rec.Final = !rec.Succeeded && !retry

	s := d.s
	s.mu.Lock()
	defer s.mu.Unlock()
	d.mu.Lock()
	if gen != d.gen || d.closed {
		d.mu.Unlock()
		return
	}
	d.log.add(rec)
	d.mu.Unlock()
	if s.merchants[m.id] != m {
		return
	}
	dl.record(rec, failure, retry)
	if retry {
		next := at.Add(retryDelays[attempt-1])
		dl.NextAttemptAt = timestampPtr(next)
		d.s.sched.at(next, func() { d.retry(gen, m, dl, epID) })
	}
}

// attemptError names why an attempt got no answer, for a delivery's
// last_error (docs/tokenim-api.md §10): timeout, connection_refused,
// connection_reset, dns_error, tls_error or connection_error.
func attemptError(err error) string {
	var dnsErr *net.DNSError
	var tlsErr *tls.RecordHeaderError
	var certErr *tls.CertificateVerificationError
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection_refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection_reset"
	case errors.As(err, &dnsErr):
		return "dns_error"
	case errors.As(err, &tlsErr), errors.As(err, &certErr):
		return "tls_error"
	}
	return "connection_error"
}

// retry runs the next attempt of dl when it falls due. An endpoint deleted
// or disabled since ends the delivery as failed.
func (d *deliverer) retry(gen uint64, m *merchant, dl *webhookDelivery, epID string) {
	s := d.s
	s.mu.Lock()
	defer s.mu.Unlock()
	d.mu.Lock()
	stale := gen != d.gen
	d.mu.Unlock()
	if stale || s.merchants[m.id] != m || dl.Status != deliveryPending || m.eventByID[dl.ev.id] != dl.ev {
		return
	}
	ep := m.endpoints[epID]
	switch {
	case ep == nil:
		dl.giveUp("endpoint_deleted")
	case ep.Status != "enabled":
		dl.giveUp("endpoint_disabled")
	default:
		d.start(m, ep, dl, s.clock.Now())
	}
}

func (d *deliverer) done() {
	d.mu.Lock()
	d.inflight--
	if d.inflight == 0 {
		for _, ch := range d.idle {
			close(ch)
		}
		d.idle = nil
	}
	d.mu.Unlock()
	d.wg.Done()
}

// idleCh returns a channel closed once no attempt is in flight.
func (d *deliverer) idleCh() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	ch := make(chan struct{})
	if d.inflight == 0 {
		close(ch)
		return ch
	}
	d.idle = append(d.idle, ch)
	return ch
}

func (d *deliverer) wait() { <-d.idleCh() }

func (d *deliverer) reset() {
	d.mu.Lock()
	d.gen++
	d.log.reset()
	d.mu.Unlock()
}

func (d *deliverer) close() {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	d.cancel()
	d.wg.Wait()
	d.transport.CloseIdleConnections()
}

// Deliveries returns the webhook delivery attempts, in the order they
// finished: the last 10 000, like the request log.
func (s *Sandbox) Deliveries() []Delivery {
	s.delivery.mu.Lock()
	defer s.delivery.mu.Unlock()
	return s.delivery.log.all()
}

// FlushDeliveries waits until no delivery attempt is in flight, or ctx ends.
func (s *Sandbox) FlushDeliveries(ctx context.Context) error {
	select {
	case <-s.delivery.idleCh():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ResendDelivery sends the event eventID to the webhook endpoint endpointID
// once more, now, as a new delivery with its own retry schedule — what POST
// /v1/events/{id}/resend does, through the same code (the dashboard's resend
// button calls it) — and waits until its first attempt has finished (or ctx
// ends) so that Deliveries shows it. It returns the delivery's id.
func (s *Sandbox) ResendDelivery(ctx context.Context, eventID, endpointID string) (string, error) {
	s.mu.Lock()
	var m *merchant
	for _, mm := range s.merchants {
		if mm.eventByID[eventID] != nil || mm.prunedEvents[eventID] {
			m = mm
			break
		}
	}
	if m == nil {
		s.mu.Unlock()
		return "", errors.New("sandbox: resend: no event " + strconv.Quote(eventID))
	}
	dl, e := s.resendLocked(m, eventID, endpointID)
	s.mu.Unlock()
	if e != nil {
		return "", errors.New("sandbox: resend: " + e.detail)
	}
	return dl.ID, s.FlushDeliveries(ctx)
}
