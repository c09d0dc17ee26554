package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/go-retryablehttp"
	tokenim "github.com/tokenim/tokenim-go"
)

// How listen works. It does not poll: polling GET /v1/events every few
// seconds fills the merchant's own request log (docs/tokenim-api.md §7) and
// spends its rate limit (§4). Like the Stripe CLI, listen starts a receiver,
// registers a temporary webhook endpoint (§5) that points at it, verifies
// each delivery with that endpoint's secret (§6), forwards it re-signed with
// --secret to --forward-to, and deletes the endpoint when it exits. Its
// whole footprint in the request log is one list of the endpoints (to sweep
// those a killed listen left), the create and the delete.
//
// The receiver acknowledges a verified delivery at once and forwards it from
// a queue: the platform waits only 10 s for an answer (§6), less than a
// forward's retries can take, and would otherwise deliver again. The
// platform's own retries thus cover only the receiver being unreachable.

const (
	// maxSeen bounds the ids listen remembers to forward each event once.
	maxSeen = 10000
	// queueSize bounds the deliveries accepted but not yet forwarded; a
	// delivery beyond it is answered 503, and the platform retries it.
	queueSize = 1000
	// endpointDescription marks the endpoints listen registers.
	endpointDescription = "tokenim listen (temporary; removed when listen exits)"
	// cleanupTimeout bounds the deletion of the endpoint at exit.
	cleanupTimeout = 10 * time.Second
)

// removedListenFlags are flags of the polling listen, refused with the why.
var removedListenFlags = map[string]string{
	"interval": "--interval is gone: listen no longer polls; it registers a temporary webhook endpoint and events arrive as they happen",
}

func cmdListen(e *env, args []string) error {
	fs := newFlagSet("listen", `Forward the events of an account to a local URL as Standard Webhooks signed
POSTs, printing a line per event, until Ctrl-C.

listen starts a receiver on this machine (--receiver-addr), registers a
temporary webhook endpoint pointing at it (POST /v1/webhook_endpoints),
verifies every delivery with that endpoint's secret, and removes the endpoint
when it exits (Ctrl-C, SIGTERM or an error); it also removes the endpoints a
killed listen left behind. It does not poll: the account's request log shows
only that create and that delete, and one list of the endpoints at start.

A platform that is not on this machine cannot reach a loopback receiver:
give --receiver-url, a public URL (a tunnel) that reaches --receiver-addr.

The forwards are signed with --secret, or with a generated secret printed at
start. A forward that fails with a network error, 408, 429 or a 5xx is
retried with backoff; any other answer is final, and a refusal's line ends
with the reason the handler gave in its body. Events that exist when listen
starts are forwarded only with --replay (read once from GET /v1/events);
--once forwards those and exits without registering an endpoint.

Usage:
  tokenim listen --forward-to http://localhost:8080/webhooks [flags]`)
	cfg := addConfigFlags(fs)
	forwardTo := fs.String("forward-to", "", "URL to POST each event to, required")
	secret := addWebhookSecretFlags(fs, "webhook secret whsec_… to sign forwards with (generated when none is given)")
	types := fs.String("events", "", "comma-separated event types to forward (default all)")
	retries := fs.Int("retries", 4, "how many times to retry a forward that failed with a network error, 408, 429 or 5xx")
	retryWait := fs.Duration("retry-wait", time.Second, "wait before the first retry of a forward; it doubles each retry, up to 30s")
	replay := fs.Bool("replay", false, "also forward the events that exist already, oldest first")
	once := fs.Bool("once", false, "forward the events that exist now (as --replay), then exit (1 if a forward failed); registers no endpoint")
	receiverAddr := fs.String("receiver-addr", "127.0.0.1:0", "address of the receiver the platform delivers to (port 0: any free port)")
	receiverURL := fs.String("receiver-url", "", "URL the platform is to deliver to, when it cannot reach --receiver-addr directly (a tunnel to it)")
	for _, a := range args {
		if a == "--" {
			break
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if why, ok := removedListenFlags[name]; ok && strings.HasPrefix(a, "-") {
			return usagef("listen", "%s", why)
		}
	}
	pos, err := fs.parse(e, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return usagef("listen", "listen takes no arguments, got %q", pos[0])
	case *forwardTo == "":
		return usagef("listen", "--forward-to is required")
	case *retries < 0 || *retries > 10:
		return usagef("listen", "--retries must be between 0 and 10, got %d", *retries)
	case *retryWait <= 0:
		return usagef("listen", "--retry-wait must be positive, got %v", *retryWait)
	}
	if !absoluteHTTPURL(*forwardTo) {
		return usagef("listen", "--forward-to must be an absolute http or https URL, got %q", *forwardTo)
	}
	if *receiverURL != "" && !absoluteHTTPURL(*receiverURL) {
		return usagef("listen", "--receiver-url must be an absolute http or https URL, got %q", *receiverURL)
	}
	want, err := parseEventTypes(*types)
	if err != nil {
		return err
	}
	key, err := webhookSecret(e, "listen", secret, true)
	if err != nil {
		return err
	}
	generated := key == ""
	if generated {
		key = tokenim.NewWebhookSecret()
		e.addSecret(key)
	}
	c, err := cfg.client(e, "listen")
	if err != nil {
		return err
	}
	if !*once && *receiverURL == "" && !isLoopbackURL(cfg.effectiveBaseURL()) {
		return usagef("listen", "the platform at %s cannot reach a receiver on this machine's loopback: give --receiver-url, a public URL (e.g. a tunnel) that reaches --receiver-addr",
			cfg.effectiveBaseURL())
	}

	l := &listener{
		e: e, c: c, forwardTo: *forwardTo, secret: key, want: want,
		seen:    map[string]bool{},
		retries: *retries, retryWait: *retryWait,
		hc: &http.Client{
			Timeout: 10 * time.Second, // as the platform waits for a webhook answer
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
	}
	defer l.hc.CloseIdleConnections()

	fmt.Fprintf(e.stdout, "Forwarding events of %s to %s\n", cfg.effectiveBaseURL(), *forwardTo)
	if generated {
		fmt.Fprintf(e.stdout, "Webhook signing secret: %s (verify deliveries with it)\n", key)
	}
	if *once {
		evs, err := l.existing()
		if err != nil {
			return err
		}
		for _, ev := range evs {
			if e.ctx.Err() != nil {
				break
			}
			l.forwardOnce(ev)
		}
		if l.failed > 0 || e.ctx.Err() != nil {
			return &silentError{code: exitError}
		}
		return nil
	}
	return l.listen(*receiverAddr, *receiverURL, *replay)
}

// absoluteHTTPURL reports an absolute http(s) URL with a host.
func absoluteHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// isLoopbackURL reports a URL whose host is this machine: localhost or a
// loopback address.
func isLoopbackURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	h := u.Hostname()
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// parseEventTypes reads --events: known types, comma-separated; empty for all.
func parseEventTypes(list string) (map[string]bool, error) {
	want := map[string]bool{}
	if list == "" {
		return want, nil
	}
	// The API key events (rolled, expired) are forwarded too; trigger
	// does not make them, as it would roll the key the tool calls with.
	known := append(eventTypeNames(), string(tokenim.EventAPIKeyExpired), string(tokenim.EventAPIKeyRolled))
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimSpace(t)
		if !slices.Contains(known, t) {
			if hint := didYouMean(t, known); hint != "" {
				return nil, usagef("listen", "--events: unknown event type %q%s", t, hint)
			}
			return nil, usagef("listen", "--events: unknown event type %q; valid types: %s", t, strings.Join(known, ", "))
		}
		want[t] = true
	}
	return want, nil
}

// listener forwards events to the developer's handler, each once.
type listener struct {
	e         *env
	c         *tokenim.Client
	hc        *http.Client
	forwardTo string
	secret    string
	want      map[string]bool // empty: every type

	retries   int           // retries of a failed forward, after the first attempt
	retryWait time.Duration // wait before the first retry; doubles each retry

	mu     sync.Mutex // guards seen and order: the receiver marks, the worker forwards
	seen   map[string]bool
	order  []string // seen ids, oldest first, to bound seen
	failed int      // touched by the forwarding goroutine only
}

type rawEvent struct {
	id, typ string
	body    json.RawMessage
}

// markSeen records id and reports whether it is new.
func (l *listener) markSeen(id string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen[id] {
		return false
	}
	l.seen[id] = true
	l.order = append(l.order, id)
	if len(l.order) > maxSeen {
		delete(l.seen, l.order[0])
		l.order = l.order[1:]
	}
	return true
}

// wanted reports whether --events lets typ through.
func (l *listener) wanted(typ string) bool { return len(l.want) == 0 || l.want[typ] }

// forwardOnce forwards ev unless it was forwarded already or is filtered out.
func (l *listener) forwardOnce(ev rawEvent) {
	if l.wanted(ev.typ) && l.markSeen(ev.id) {
		l.forward(ev)
	}
}

// listen registers the temporary endpoint, forwards what it receives until
// the context ends, and removes the endpoint whatever happens after it was
// made.
func (l *listener) listen(addr, publicURL string, replay bool) (err error) {
	e := l.e
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return usagef("listen", "--receiver-addr: %v", err)
	}
	defer ln.Close()
	l.sweepStale()
	target := publicURL
	if target == "" {
		target = "http://" + ln.Addr().String() + "/webhooks"
	}
	events := []tokenim.EventType{"*"}
	if len(l.want) > 0 {
		events = events[:0]
		for t := range l.want {
			events = append(events, tokenim.EventType(t))
		}
		slices.Sort(events)
	}
	// A Ctrl-C during the create must not leave an endpoint made but not
	// known: the create runs to its end, and the deferred delete follows.
	createCtx, cancelCreate := context.WithTimeout(context.WithoutCancel(e.ctx), cleanupTimeout)
	ep, err := l.c.WebhookEndpoints.Create(createCtx, &tokenim.WebhookEndpointCreateParams{
		URL: target, Events: events, Description: endpointDescription,
	})
	cancelCreate()
	if err != nil {
		return fmt.Errorf("register a temporary webhook endpoint: %w", err)
	}
	e.addSecret(ep.Secret.Reveal())
	e.addSecret(strings.TrimPrefix(ep.Secret.Reveal(), tokenim.WebhookSecretPrefix))
	defer func() {
		// The context may be over (Ctrl-C): the deletion gets one of its own.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(e.ctx), cleanupTimeout)
		defer cancel()
		if _, derr := l.c.WebhookEndpoints.Delete(ctx, ep.ID); derr != nil {
			fmt.Fprintf(e.stderr, "tokenim: could not remove the temporary webhook endpoint %s: %s; delete it with DELETE /v1/webhook_endpoints/%s\n",
				ep.ID, e.redact(errorText(derr)), ep.ID)
			if err == nil {
				err = &silentError{code: exitError}
			}
			return
		}
		fmt.Fprintf(e.stdout, "Removed the temporary webhook endpoint %s\n", ep.ID)
	}()
	verifier, err := tokenim.NewWebhookVerifier([]string{ep.Secret.Reveal()})
	if err != nil {
		return fmt.Errorf("the temporary endpoint's secret: %w", err)
	}

	ctx, stop := context.WithCancel(e.ctx)
	defer stop()
	queue := make(chan rawEvent, queueSize)
	srv := &http.Server{
		Handler:           &deliveryReceiver{l: l, verifier: verifier, queue: queue, ctx: ctx},
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(ln) // ends with ErrServerClosed at Close
	}()
	worked := make(chan struct{})
	go func() {
		defer close(worked)
		for {
			select {
			case <-ctx.Done():
				return
			case ev := <-queue:
				l.forward(ev)
			}
		}
	}()
	defer func() {
		// Stop taking deliveries, then the forwarder; nothing outlives listen.
		_ = srv.Close()
		<-served
		stop()
		<-worked
	}()

	fmt.Fprintf(e.stdout, "Registered the temporary webhook endpoint %s -> %s\n", ep.ID, target)
	if replay {
		evs, err := l.existing()
		if err != nil {
			return err
		}
		for _, ev := range evs {
			if !l.wanted(ev.typ) || !l.markSeen(ev.id) {
				continue
			}
			select {
			case queue <- ev:
			case <-ctx.Done():
				return nil
			}
		}
	}
	fmt.Fprintln(e.stdout, "Ready. Press Ctrl-C to stop.")
	<-ctx.Done()
	return nil
}

// sweepStale deletes the temporary endpoints that a listen killed without
// a chance to clean up (kill -9, a crash) left behind: marked with
// endpointDescription, on a loopback URL where nothing listens any more. An
// endpoint whose receiver still answers is another listen's, and stays.
// Failing here is no reason not to listen: it is reported and skipped.
func (l *listener) sweepStale() {
	e := l.e
	for ep, err := range l.c.WebhookEndpoints.All(e.ctx, nil) {
		if err != nil {
			fmt.Fprintf(e.stderr, "tokenim: could not look for stale listen endpoints: %s\n", e.redact(errorText(err)))
			return
		}
		if e.ctx.Err() != nil {
			return
		}
		if ep.Description != endpointDescription || !isLoopbackURL(ep.URL) || receiverAlive(e.ctx, ep.URL) {
			continue
		}
		if _, err := l.c.WebhookEndpoints.Delete(e.ctx, ep.ID); err != nil {
			fmt.Fprintf(e.stderr, "tokenim: could not remove the stale listen endpoint %s: %s\n", ep.ID, e.redact(errorText(err)))
			continue
		}
		fmt.Fprintf(e.stdout, "Removed the stale temporary webhook endpoint %s (%s), left by a listen that did not exit cleanly\n", ep.ID, ep.URL)
	}
}

// receiverAlive reports whether the loopback URL u may still have a
// receiver: only a refused connection says it has none.
func receiverAlive(ctx context.Context, u string) bool {
	pu, err := url.Parse(u)
	if err != nil {
		return true
	}
	port := pu.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[pu.Scheme]
	}
	d := net.Dialer{Timeout: time.Second}
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(pu.Hostname(), port))
	if err != nil {
		return !errors.Is(err, syscall.ECONNREFUSED)
	}
	_ = conn.Close()
	return true
}

// deliveryReceiver is the endpoint the platform delivers to: it verifies each
// delivery with the temporary endpoint's secret and queues it for the
// forwarder, answering at once.
type deliveryReceiver struct {
	l        *listener
	verifier *tokenim.WebhookVerifier
	queue    chan<- rawEvent
	ctx      context.Context
}

func (rc *deliveryReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "tokenim listen receives webhook deliveries by POST", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, tokenim.DefaultWebhookMaxBodyBytes+1))
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	if int64(len(body)) > tokenim.DefaultWebhookMaxBodyBytes {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	if err := rc.verifier.Verify(r.Header, body); err != nil {
		fmt.Fprintf(rc.l.e.stderr, "tokenim: refused a delivery to the receiver: %s\n", rc.l.e.redact(errorText(err)))
		http.Error(w, "invalid webhook", http.StatusBadRequest)
		return
	}
	ev, err := decodeEvent(body)
	if err != nil || ev.id != r.Header.Get(tokenim.WebhookIDHeader) {
		http.Error(w, "not an event", http.StatusBadRequest)
		return
	}
	if !rc.l.wanted(ev.typ) || !rc.l.markSeen(ev.id) {
		return // filtered out, or a redelivery of an event already queued: done
	}
	select {
	case rc.queue <- ev:
	case <-rc.ctx.Done():
		rc.unsee(ev.id)
		http.Error(w, "listen is stopping", http.StatusServiceUnavailable)
	default:
		rc.unsee(ev.id) // the platform's retry is to be taken
		w.Header().Set("Retry-After", "5")
		http.Error(w, "listen is behind; retry", http.StatusServiceUnavailable)
	}
}

// unsee forgets id, so that a delivery not queued is taken when it comes again.
func (rc *deliveryReceiver) unsee(id string) {
	rc.l.mu.Lock()
	delete(rc.l.seen, id)
	rc.l.mu.Unlock()
}

// decodeEvent reads the id and type of an event body.
func decodeEvent(body json.RawMessage) (rawEvent, error) {
	var head struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	}
	if err := json.Unmarshal(body, &head); err != nil || head.ID == "" {
		return rawEvent{}, errors.New("an event without id")
	}
	return rawEvent{id: head.ID, typ: head.Type, body: body}, nil
}

// existing reads every event there is now, oldest first: GET /v1/events
// page by page (newest first), once.
func (l *listener) existing() ([]rawEvent, error) {
	var all []rawEvent
	after := ""
	for {
		q := url.Values{"limit": {"100"}}
		if after != "" {
			q.Set("starting_after", after)
		}
		raw, err := getRaw(l.e.ctx, l.c, "/v1/events", q)
		if err != nil {
			return nil, fmt.Errorf("list events: %w", err)
		}
		var p struct {
			Data    []json.RawMessage `json:"data"`
			HasMore bool              `json:"has_more"`
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			return nil, fmt.Errorf("list events: %w", err)
		}
		for _, body := range p.Data {
			ev, err := decodeEvent(body)
			if err != nil {
				return nil, fmt.Errorf("list events: %w", err)
			}
			all = append(all, ev)
		}
		if !p.HasMore || len(p.Data) == 0 {
			break
		}
		after = all[len(all)-1].id
	}
	slices.Reverse(all)
	return all, nil
}

// eventTypeNames lists the event types of API version 2026-11-01, sorted.
func eventTypeNames() []string {
	names := []string{}
	for _, t := range []tokenim.EventType{
		tokenim.EventOrderPaid, tokenim.EventOrderCanceled, tokenim.EventOrderExpired, tokenim.EventOrderRefunded,
		tokenim.EventPaymentSucceeded, tokenim.EventPaymentFailed, tokenim.EventPaymentRequiresAction,
		tokenim.EventPaymentCanceled, tokenim.EventRefundSucceeded, tokenim.EventRefundFailed,
		tokenim.EventDisputeCreated, tokenim.EventDisputeUpdated, tokenim.EventDisputeEvidenceDueSoon, tokenim.EventDisputeClosed,
		tokenim.EventSettlementPaid,
	} {
		names = append(names, string(t))
	}
	slices.Sort(names)
	return names
}

// forward POSTs one event, signed, and prints the outcome.
func (l *listener) forward(ev rawEvent) {
	result, ok := l.deliver(ev)
	if !ok {
		l.failed++
	}
	fmt.Fprintf(l.e.stdout, "%s  %-24s %s -> %s\n", time.Now().UTC().Format(time.TimeOnly), ev.typ, ev.id, l.e.redact(result))
}

// maxRetryWait caps the wait between two attempts of one forward, Retry-After
// included: a handler that asks for an hour is better reported than waited on.
const maxRetryWait = 30 * time.Second

// deliver POSTs ev to the handler as the platform delivers it, each attempt
// signed anew with the wall-clock time of that attempt as its
// webhook-timestamp (docs/tokenim-api.md §6). It returns the line to print
// and whether a 2xx came back.
//
// The platform retries any non-2xx answer over hours (§6). listen is a tool
// for a developer at the keyboard, so it retries only what may pass within
// seconds — see forwardRetryPolicy — and shows anything else at once.
func (l *listener) deliver(ev rawEvent) (string, bool) {
	ctx, cancel := context.WithCancel(l.e.ctx)
	defer cancel()
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodPost, l.forwardTo, []byte(ev.body))
	if err != nil {
		return "error: " + err.Error(), false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "tokenim-cli/"+tokenim.Version)
	req.Header.Set(tokenim.WebhookIDHeader, ev.id)
	sign := func(r *http.Request) error {
		now := time.Now()
		sig, err := tokenim.SignWebhook(l.secret, ev.id, now, ev.body)
		if err != nil {
			return fmt.Errorf("sign: %w", err)
		}
		r.Header.Set(tokenim.WebhookTimestampHeader, strconv.FormatInt(now.Unix(), 10))
		r.Header.Set(tokenim.WebhookSignatureHeader, sig)
		return nil
	}
	if err := sign(req.Request); err != nil {
		return "error: " + err.Error(), false
	}
	attempts := 0
	rc := &retryablehttp.Client{
		HTTPClient:   l.hc,
		RetryMax:     l.retries,
		RetryWaitMin: l.retryWait,
		RetryWaitMax: max(maxRetryWait, l.retryWait),
		CheckRetry:   forwardRetryPolicy,
		Backoff:      cappedBackoff,
		PrepareRetry: sign,
		// Hand back the last answer, so that its status and reason are
		// shown rather than retryablehttp's "giving up".
		ErrorHandler:   retryablehttp.PassthroughErrorHandler,
		RequestLogHook: func(retryablehttp.Logger, *http.Request, int) { attempts++ },
	}
	resp, err := rc.Do(req)
	tries := ""
	if attempts > 1 {
		tries = fmt.Sprintf(" (%d attempts)", attempts)
	}
	if err != nil {
		if resp != nil {
			_ = resp.Body.Close()
		}
		if ctx.Err() != nil {
			return "canceled" + tries, false
		}
		return "error: " + err.Error() + tries, false
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxReasonBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp.Status + tries, true
	}
	if reason := failureReason(resp.Header.Get("Content-Type"), body); reason != "" {
		return resp.Status + ": " + reason + tries, false
	}
	return resp.Status + tries, false
}

// forwardRetryPolicy retries a forward that may pass a moment later: a
// network error (but not a bad URL or certificate), 408 Request Timeout, 429
// Too Many Requests, and a 5xx other than 501 Not Implemented. Another 4xx is
// the handler's verdict on this delivery (a bad signature, a body it cannot
// use): sending it again would only repeat it, so it is shown with its reason.
func forwardRetryPolicy(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
	}
	switch c := resp.StatusCode; {
	case c == http.StatusRequestTimeout, c == http.StatusTooManyRequests:
		return true, nil
	case c >= 500 && c != http.StatusNotImplemented:
		return true, nil
	}
	return false, nil
}

// cappedBackoff is retryablehttp's exponential backoff, which also honours a
// 429's or 503's Retry-After, with the Retry-After capped at maxWait too.
func cappedBackoff(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
	return min(retryablehttp.DefaultBackoff(minWait, maxWait, attempt, resp), maxWait)
}

// Reasons. A handler that refuses a delivery usually says why in its body
// ("invalid webhook", a problem+json detail); listen shows it on the
// delivery's line, short and on one line, so a developer sees why without a
// debugger. The body is the developer's own handler's, but it may echo what
// it was sent: the line goes through env.redact like every other output.
const (
	maxReasonBody  = 8 << 10
	maxReasonRunes = 200
)

// failureReason is the handler's reason in a refused delivery's body: the
// detail (or title, message, error) of a JSON body, else its first non-empty
// line; "" for an empty body or an HTML page.
func failureReason(contentType string, body []byte) string {
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == "text/html" {
		return ""
	}
	text := ""
	var obj map[string]any
	if json.Unmarshal(body, &obj) == nil {
		for _, k := range []string{"detail", "title", "message", "error", "reason"} {
			switch v := obj[k].(type) {
			case string:
				text = v
			case map[string]any: // {"error": {"message": "..."}}
				text, _ = v["message"].(string)
			}
			if strings.TrimSpace(text) != "" {
				break
			}
		}
	} else {
		for line := range strings.Lines(string(body)) {
			if strings.TrimSpace(line) != "" {
				text = line
				break
			}
		}
	}
	return oneLine(text, maxReasonRunes)
}

// oneLine makes s printable on one line of at most n runes: control
// characters (a terminal escape sent by a handler included) become spaces,
// runs of space collapse, and a cut is marked with "…".
func oneLine(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		s = string(r[:n]) + "…"
	}
	return s
}
