package main

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	tokenim "github.com/tokenim/tokenim-go"
)

// maxFollowPages bounds how far back one --follow poll reads to reach the
// last entry it printed: a burst larger than this many pages is cut, with a
// note, rather than read without end.
const maxFollowPages = 10

// cmdLogs is "tokenim logs": the account's request logs, or a tail of them
// (docs/tokenim-api.md §7).
func cmdLogs(e *env, args []string) error {
	fs := newFlagSet("logs", `Show the account's API calls as the platform logged them (GET
/v1/request_logs, kept 30 days), newest first, one line per call:
time, method, path, status, error code, duration, key last4, request id.
With --follow, print new calls as they come, oldest first, until Ctrl-C.

Usage:
  tokenim logs [--method POST] [--status 4xx] [--path /v1/payments] [flags]
  tokenim logs --follow [filters]`)
	cfg := addConfigFlags(fs)
	p := tokenim.RequestLogListParams{}
	fs.StringVar(&p.Method, "method", "", "only calls of this HTTP method (GET, POST, DELETE)")
	fs.StringVar(&p.Status, "status", "", "only calls with this status: an exact code (404) or 2xx, 4xx, 5xx")
	fs.StringVar(&p.Path, "path", "", "only calls whose path starts with this prefix, e.g. /v1/payments")
	fs.StringVar(&p.IdempotencyKey, "idempotency-key", "", "only calls sent with this Idempotency-Key")
	gte := fs.String("created-gte", "", "only calls at or after this time (RFC 3339, e.g. 2026-11-21T09:00:00Z)")
	lt := fs.String("created-lt", "", "only calls before this time (RFC 3339)")
	limit := fs.Int("limit", 20, "how many calls to show, 1–100 (without --follow)")
	asJSON := fs.Bool("json", false, "print each call as one line of JSON")
	follow := fs.Bool("follow", false, "keep polling and print new calls as they come")
	interval := fs.Duration("interval", defaultPollInterval, "how often --follow polls; after a failed poll it waits longer, up to a minute")
	pos, err := fs.parse(e, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return usagef("logs", "logs takes no arguments, got %q", pos[0])
	case *limit < 1 || *limit > 100:
		return usagef("logs", "--limit must be between 1 and 100, got %d", *limit)
	case *interval <= 0:
		return usagef("logs", "--interval must be positive, got %v", *interval)
	}
	for _, t := range []struct {
		flag, v string
		to      **time.Time
	}{{"created-gte", *gte, &p.CreatedGTE}, {"created-lt", *lt, &p.CreatedLT}} {
		if t.v == "" {
			continue
		}
		tm, err := time.Parse(time.RFC3339, t.v)
		if err != nil {
			return usagef("logs", "--%s must be an RFC 3339 time such as 2026-11-21T09:00:00Z, got %q", t.flag, t.v)
		}
		*t.to = &tm
	}
	c, err := cfg.client(e, "logs")
	if err != nil {
		return err
	}
	// A filter the SDK refuses is a mistake on the command line.
	listErr := func(err error) error {
		var ve *tokenim.ValidationError
		if errors.As(err, &ve) {
			return usagef("logs", "--%s %s", strings.ReplaceAll(ve.Field, "_", "-"), ve.Reason)
		}
		return fmt.Errorf("list request logs: %w", err)
	}
	print := func(l *tokenim.RequestLog) error {
		if *asJSON {
			return writeJSONLine(e, l)
		}
		_, err := fmt.Fprintln(e.stdout, l.String())
		return err
	}
	if !*follow {
		p.Limit = *limit
		page, err := c.RequestLogs.List(e.ctx, &p)
		if err != nil {
			return listErr(err)
		}
		if len(page.Data) == 0 && !*asJSON {
			fmt.Fprintln(e.stdout, "no request logs")
		}
		for _, l := range page.Data {
			if err := print(l); err != nil {
				return err
			}
		}
		return nil
	}
	return followLogs(e, c, p, *interval, print, listErr)
}

// followLogs polls the newest request logs and prints those it has not
// printed, oldest first. Calls to /v1/request_logs are never logged, so
// following does not see itself.
func followLogs(e *env, c *tokenim.Client, p tokenim.RequestLogListParams, interval time.Duration, print func(*tokenim.RequestLog) error, listErr func(error) error) error {
	p.Limit = 100
	first := p
	first.Limit = 1
	page, err := c.RequestLogs.List(e.ctx, &first)
	if err != nil {
		return listErr(err)
	}
	last := ""
	if len(page.Data) > 0 {
		last = page.Data[0].ID
	}
	fmt.Fprintln(e.stderr, "Following request logs. Press Ctrl-C to stop.")
	wait := interval
	timer := time.NewTimer(interval)
	defer timer.Stop()
	for {
		select {
		case <-e.ctx.Done():
			return nil
		case <-timer.C:
		}
		fresh, err := newerThan(e, c, p, last)
		switch {
		case e.ctx.Err() != nil:
			return nil
		case err == nil:
			wait = interval
			for i := len(fresh) - 1; i >= 0; i-- {
				if err := print(fresh[i]); err != nil {
					return err
				}
			}
			if len(fresh) > 0 {
				last = fresh[0].ID
			}
		default:
			var apiErr *tokenim.Error
			if errors.As(err, &apiErr) && (apiErr.HTTPStatus == http.StatusUnauthorized || apiErr.HTTPStatus == http.StatusForbidden) {
				return fmt.Errorf("list request logs: %w", err)
			}
			wait = nextPollWait(wait, interval, err)
			fmt.Fprintf(e.stderr, "tokenim: %s (polling again in %v)\n", e.redact(errorText(err)), wait)
		}
		timer.Reset(wait)
	}
}

// newerThan returns the logs newer than the one with id last, newest first.
func newerThan(e *env, c *tokenim.Client, p tokenim.RequestLogListParams, last string) ([]*tokenim.RequestLog, error) {
	var out []*tokenim.RequestLog
	pages := 0
	for l, err := range c.RequestLogs.All(e.ctx, &p) {
		if err != nil {
			return nil, err
		}
		if l.ID == last {
			return out, nil
		}
		out = append(out, l)
		if len(out)%p.Limit == 0 {
			if pages++; pages == maxFollowPages {
				fmt.Fprintf(e.stderr, "tokenim: more than %d new calls since the last poll; showing the newest\n", len(out))
				return out, nil
			}
		}
	}
	return out, nil
}

// Polling. logs --follow polls GET /v1/request_logs, and every poll counts
// against the account's rate limit (429 rate_limited, docs/tokenim-api.md
// §4), shared with the merchant's own integration. Two seconds keeps a
// follower at a small share of it while a call still shows about as soon as
// a developer looks; --interval trades one for the other. A failed poll (a
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
