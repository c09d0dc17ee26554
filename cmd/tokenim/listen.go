package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

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
printed at start. Stops on Ctrl-C.

Usage:
  tokenim listen --forward-to http://localhost:8080/webhooks [flags]`)
	cfg := addConfigFlags(fs)
	forwardTo := fs.String("forward-to", "", "URL to POST each event to, required")
	secret := fs.String("secret", "", "webhook secret whsec_… to sign with (env "+envWebhookSecret+"; generated when empty)")
	types := fs.String("events", "", "comma-separated event types to forward (default all)")
	interval := fs.Duration("interval", time.Second, "how often to poll for new events")
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
	}
	if u, err := url.Parse(*forwardTo); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("listen", "--forward-to must be an absolute http or https URL, got %q", *forwardTo)
	}
	want := map[string]bool{}
	if *types != "" {
		known := eventTypeNames()
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
	generated := false
	if *secret == "" {
		*secret = e.getenv(envWebhookSecret)
	}
	if *secret == "" {
		*secret, generated = newWebhookSecret(), true
	}
	key, err := secretFlag(e, "listen", *secret)
	if err != nil {
		return err
	}
	c, err := cfg.client(e, "listen")
	if err != nil {
		return err
	}

	l := &listener{
		e: e, c: c, forwardTo: *forwardTo, secret: key, want: want,
		seen: map[string]bool{},
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
	tick := time.NewTicker(*interval)
	defer tick.Stop()
	for {
		if err := l.poll(); err != nil {
			if e.ctx.Err() != nil {
				return nil
			}
			var apiErr *tokenim.Error
			if errors.As(err, &apiErr) && (apiErr.HTTPStatus == http.StatusUnauthorized || apiErr.HTTPStatus == http.StatusForbidden) {
				return err
			}
			fmt.Fprintf(e.stderr, "tokenim: %s (will retry)\n", e.redact(errorText(err)))
		}
		select {
		case <-e.ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// eventTypeNames lists the event types of API version 2026-11-01, sorted.
func eventTypeNames() []string {
	names := []string{}
	for _, t := range []tokenim.EventType{
		tokenim.EventOrderPaid, tokenim.EventOrderCanceled, tokenim.EventOrderExpired, tokenim.EventOrderRefunded,
		tokenim.EventPaymentSucceeded, tokenim.EventPaymentFailed, tokenim.EventPaymentRequiresAction,
		tokenim.EventPaymentCanceled, tokenim.EventRefundSucceeded, tokenim.EventRefundFailed,
	} {
		names = append(names, string(t))
	}
	slices.Sort(names)
	return names
}

// newWebhookSecret returns a fresh whsec_ secret of 32 random bytes.
func newWebhookSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return tokenim.WebhookSecretPrefix + base64.StdEncoding.EncodeToString(b[:])
}

// listener polls the events list and forwards what it has not seen.
type listener struct {
	e         *env
	c         *tokenim.Client
	hc        *http.Client
	forwardTo string
	secret    string
	want      map[string]bool // empty: every type

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

func (l *listener) deliver(ev rawEvent) (string, bool) {
	now := time.Now()
	sig, err := tokenim.SignWebhook(l.secret, ev.id, now, ev.body)
	if err != nil {
		return "error: sign: " + err.Error(), false
	}
	ctx, cancel := context.WithCancel(l.e.ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.forwardTo, bytes.NewReader(ev.body))
	if err != nil {
		return "error: " + err.Error(), false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "tokenim-cli/"+tokenim.Version)
	req.Header.Set(tokenim.WebhookIDHeader, ev.id)
	req.Header.Set(tokenim.WebhookTimestampHeader, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(tokenim.WebhookSignatureHeader, sig)
	resp, err := l.hc.Do(req)
	if err != nil {
		return "error: " + err.Error(), false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	return resp.Status, ok
}
