package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/go-retryablehttp"
	tokenim "github.com/tokenim/tokenim-go"
)

// maxSeen bounds the ids listen remembers; polling stops at the newest seen
// id, so only recent ones matter.
const maxSeen = 10000

func cmdListen(e *env, args []string) error {
	fs := newFlagSet("listen", `Follow the events of an account (GET /v1/events) and forward each new one to
a local URL as a Standard Webhooks signed POST, printing a line per delivery.
Events that exist when listen starts are skipped unless --replay is given.
The deliveries are signed with --secret, or with a generated secret that is
printed at start. A forward that fails with a network error, 408, 429 or a
5xx is retried with backoff; any other answer is final, and a refusal's
line ends with the reason the handler gave in its body.
New events are polled every --interval. Stops on Ctrl-C.

Usage:
  tokenim listen --forward-to http://localhost:8080/webhooks [flags]`)
	cfg := addConfigFlags(fs)
	forwardTo := fs.String("forward-to", "", "URL to POST each event to, required")
	secret := addWebhookSecretFlags(fs, "webhook secret whsec_… to sign forwards with (generated when none is given)")
	types := fs.String("events", "", "comma-separated event types to forward (default all)")
	interval := fs.Duration("interval", defaultPollInterval, "how often to poll for new events; after a failed poll listen waits longer, up to a minute")
	retries := fs.Int("retries", 4, "how many times to retry a forward that failed with a network error, 408, 429 or 5xx")
	retryWait := fs.Duration("retry-wait", time.Second, "wait before the first retry of a forward; it doubles each retry, up to 30s")
	replay := fs.Bool("replay", false, "also forward the events that exist already, oldest first")
	once := fs.Bool("once", false, "process the events available now, then exit (1 if a delivery failed)")
	pos, err := fs.parse(e, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return usagef("listen", "listen takes no arguments, got %q", pos[0])
	case *forwardTo == "":
		return usagef("listen", "--forward-to is required")
	case *interval <= 0:
		return usagef("listen", "--interval must be positive, got %v", *interval)
	case *retries < 0 || *retries > 10:
		return usagef("listen", "--retries must be between 0 and 10, got %d", *retries)
	case *retryWait <= 0:
		return usagef("listen", "--retry-wait must be positive, got %v", *retryWait)
	}
	if u, err := url.Parse(*forwardTo); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("listen", "--forward-to must be an absolute http or https URL, got %q", *forwardTo)
	}
	want := map[string]bool{}
	if *types != "" {
		// The API key events (rolled, expired) are forwarded too; trigger
		// does not make them, as it would roll the key the tool calls with.
		known := append(eventTypeNames(), string(tokenim.EventAPIKeyExpired), string(tokenim.EventAPIKeyRolled))
		for _, t := range strings.Split(*types, ",") {
			t = strings.TrimSpace(t)
			if !slices.Contains(known, t) {
				if hint := didYouMean(t, known); hint != "" {
					return usagef("listen", "--events: unknown event type %q%s", t, hint)
				}
				return usagef("listen", "--events: unknown event type %q; valid types: %s", t, strings.Join(known, ", "))
			}
			want[t] = true
		}
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
	if !*replay {
		if err := l.skipExisting(); err != nil {
			return err
		}
	}
	if *once {
		if err := l.poll(); err != nil {
			return err
		}
		if l.failed > 0 {
			return &silentError{code: exitError}
		}
		return nil
	}
	fmt.Fprintln(e.stdout, "Ready. Press Ctrl-C to stop.")
	wait := *interval
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-e.ctx.Done():
			return nil
		case <-timer.C:
		}
		err := l.poll()
		switch {
		case e.ctx.Err() != nil:
			return nil
		case err == nil:
			wait = *interval
		default:
			var apiErr *tokenim.Error
			if errors.As(err, &apiErr) && (apiErr.HTTPStatus == http.StatusUnauthorized || apiErr.HTTPStatus == http.StatusForbidden) {
				return err
			}
			wait = nextPollWait(wait, *interval, err)
			fmt.Fprintf(e.stderr, "tokenim: %s (polling again in %v)\n", e.redact(errorText(err)), wait)
		}
		timer.Reset(wait)
	}
}

// Polling. Events reach listen only by polling GET /v1/events, and every
// poll counts against the account's rate limit (429 rate_limited,
// docs/tokenim-api.md §4), shared with the merchant's own integration. Two
// seconds keeps a listener at a small share of it while a forwarded event
// still arrives about as soon as a developer looks; --interval trades one
// for the other. A failed poll (a
// 429, the platform down) doubles the wait up to maxPollWait, or waits the
// Retry-After the platform asked for, so that a listener left running does
// not hammer an API in trouble.
const (
	defaultPollInterval = 2 * time.Second
	maxPollWait         = time.Minute
)

// nextPollWait is the wait after a failed poll that followed a wait of prev.
func nextPollWait(prev, interval time.Duration, err error) time.Duration {
	next := min(max(2*prev, interval), max(maxPollWait, interval))
	var apiErr *tokenim.Error
	if errors.As(err, &apiErr) && apiErr.RetryAfter > next {
		next = min(apiErr.RetryAfter, max(maxPollWait, interval))
	}
	return next
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

// listener polls the events list and forwards what it has not seen.
type listener struct {
	e         *env
	c         *tokenim.Client
	hc        *http.Client
	forwardTo string
	secret    string
	want      map[string]bool // empty: every type

	retries   int           // retries of a failed forward, after the first attempt
	retryWait time.Duration // wait before the first retry; doubles each retry

	seen   map[string]bool
	order  []string // seen ids, oldest first, to bound seen
	failed int
}

type rawEvent struct {
	id, typ string
	body    json.RawMessage
}

func (l *listener) markSeen(id string) {
	if l.seen[id] {
		return
	}
	l.seen[id] = true
	l.order = append(l.order, id)
	if len(l.order) > maxSeen {
		delete(l.seen, l.order[0])
		l.order = l.order[1:]
	}
}

// skipExisting marks the newest existing event as seen: polls stop there.
func (l *listener) skipExisting() error {
	page, err := l.page(1, "")
	if err != nil {
		return err
	}
	for _, ev := range page.events {
		l.markSeen(ev.id)
	}
	return nil
}

type eventPage struct {
	events  []rawEvent
	hasMore bool
}

func (l *listener) page(limit int, after string) (eventPage, error) {
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if after != "" {
		q.Set("starting_after", after)
	}
	raw, err := getRaw(l.e.ctx, l.c, "/v1/events", q)
	if err != nil {
		return eventPage{}, fmt.Errorf("list events: %w", err)
	}
	var p struct {
		Data    []json.RawMessage `json:"data"`
		HasMore bool              `json:"has_more"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return eventPage{}, fmt.Errorf("list events: %w", err)
	}
	out := eventPage{hasMore: p.HasMore}
	for _, body := range p.Data {
		var head struct {
			ID   string `json:"id"`
			Type string `json:"type"`
		}
		if err := json.Unmarshal(body, &head); err != nil || head.ID == "" {
			return eventPage{}, errors.New("list events: an event without id")
		}
		out.events = append(out.events, rawEvent{id: head.ID, typ: head.Type, body: body})
	}
	return out, nil
}

// poll reads the events newer than the newest seen one (the list is newest
// first) and forwards them oldest first.
func (l *listener) poll() error {
	var fresh []rawEvent
	after := ""
collect:
	for {
		p, err := l.page(100, after)
		if err != nil {
			return err
		}
		for _, ev := range p.events {
			if l.seen[ev.id] {
				break collect
			}
			fresh = append(fresh, ev)
		}
		if !p.hasMore || len(p.events) == 0 {
			break
		}
		after = p.events[len(p.events)-1].id
	}
	slices.Reverse(fresh)
	for _, ev := range fresh {
		if l.e.ctx.Err() != nil {
			return l.e.ctx.Err()
		}
		l.markSeen(ev.id)
		if len(l.want) > 0 && !l.want[ev.typ] {
			continue
		}
		l.forward(ev)
	}
	return nil
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
