package sandbox

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// call is one authenticated API request on its way through a handler.
type call struct {
	s     *Sandbox
	m     *merchant
	key   *apiKey // the key the call authenticated with
	r     *http.Request
	body  []byte
	args  []string // path parameters, in order
	reqID string
}

// ServeHTTP serves the /v1/ API and the /_sandbox/ control API.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := s.newID("req_")
	h := w.Header()
	h.Set("Request-Id", reqID)
	h.Set("Tokenim-Version", APIVersion)
	path := r.URL.Path
	if !s.hostAllowed(r) {
		writeResponse(w, errHostNotAllowed().response(reqID), false, false)
		return
	}
	if path == "/_sandbox" || strings.HasPrefix(path, "/_sandbox/") {
		if s.remoteRefused(r) {
			writeResponse(w, errRemoteControl().response(reqID), false, false)
			return
		}
		if s.serveDashboard(w, r) {
			return
		}
		writeResponse(w, s.serveControl(w, r, reqID), false, false)
		return
	}
	rec := RequestRecord{Time: s.clock.Now(), Method: r.Method, Path: path}
	// Every answer to a keyed POST says whether it is a replay.
	keyed := r.Method == http.MethodPost && len(r.Header["Idempotency-Key"]) > 0
	var lg logNote
	started := time.Now()
	resp, replayed, drop := s.serveAPI(w, r, reqID, &rec, &lg)
	// A request dropped after commit keeps the status it executed with; one
	// dropped before has 0.
	rec.Status = resp.status
	rec.Replayed = replayed
	s.record(rec)
	if resp.status != 0 {
		s.logRequest(&lg, r, reqID, resp, replayed, rec.Time, time.Since(started), rec.IdempotencyKey)
	}
	if s.log != nil {
		s.log.Info("tokenim sandbox request", "method", r.Method, "path", path, "status", rec.Status,
			"request_id", reqID, "merchant_id", rec.MerchantID, "replayed", replayed, "fault", rec.Fault)
	}
	if drop {
		abortConn(w)
		return
	}
	writeResponse(w, resp, keyed, replayed)
}

func writeResponse(w http.ResponseWriter, resp response, keyed, replayed bool) {
	h := w.Header()
	if resp.contentType != "" {
		h.Set("Content-Type", resp.contentType)
	}
	if resp.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(resp.retryAfter))
	}
	if resp.shouldRetry != "" {
		h.Set("Tokenim-Should-Retry", resp.shouldRetry)
	}
	if keyed {
		h.Set("Idempotent-Replayed", strconv.FormatBool(replayed))
	}
	h.Set("Content-Length", strconv.Itoa(len(resp.body)))
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
}

// abortConn closes the client connection without a response.
func abortConn(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if c, _, err := hj.Hijack(); err == nil {
			_ = c.Close()
			return
		}
	}
	// The server's sanctioned way to abort a response: it closes the
	// connection and logs nothing.
	panic(http.ErrAbortHandler)
}

// serveControl runs one /_sandbox/ request: same-origin only, any body type
// (a bare `curl -d` works), no authentication.
func (s *Sandbox) serveControl(w http.ResponseWriter, r *http.Request, reqID string) response {
	if !sameOrigin(r) {
		return errCrossSite().response(reqID)
	}
	if !s.tokenSent(r) {
		return errControlToken().response(reqID)
	}
	rt, args, allow := match(s.table, r.Method, r.URL.Path)
	if rt == nil || rt.access != accessControl {
		if len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			return newError(405, "invalid_request", "Method not allowed",
				"Use "+strings.Join(allow, " or ")+" for "+r.URL.Path+".").response(reqID)
		}
		return newError(404, "resource_missing", "No such resource",
			"Unrecognised sandbox control URL ("+r.Method+" "+r.URL.Path+").").response(reqID)
	}
	c := &call{s: s, r: r, args: args, reqID: reqID}
	if r.Method == http.MethodPost {
		body, e := readBody(w, r, false)
		if e != nil {
			return e.response(reqID)
		}
		c.body = body
	}
	return rt.h(c)
}

// serveAPI runs one /v1/ request through faults, maintenance, auth, rate
// limit, body checks and idempotency. drop asks the caller to close the
// connection instead of answering.
//
// lg learns whose request log the call goes to (docs/tokenim-api.md §7).
func (s *Sandbox) serveAPI(w http.ResponseWriter, r *http.Request, reqID string, rec *RequestRecord, lg *logNote) (resp response, replayed, drop bool) {
	rt, args, allow := match(s.table, r.Method, r.URL.Path)
	if rt != nil && rt.access == accessControl {
		rt = nil // a control route is never reachable under /v1/
	}
	s.mu.Lock()
	s.noteCaller(r, lg)
	s.mu.Unlock()
	if rt == nil {
		if len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			return newError(405, "invalid_request", "Method not allowed",
				"The method "+r.Method+" is not allowed here; use "+strings.Join(allow, " or ")+".").response(reqID), false, false
		}
		return newError(404, "resource_missing", "No such resource",
			"Unrecognised request URL ("+r.Method+" "+r.URL.Path+").").response(reqID), false, false
	}

	// The log names the key even of a request answered before the key is
	// used (faults, maintenance, auth), so a test can count the tries of one key.
	if raw := r.Header["Idempotency-Key"]; len(raw) == 1 && r.Method == http.MethodPost {
		if key, valid := parseIdempotencyKey(raw[0]); valid {
			rec.IdempotencyKey = key
		}
	}

	// Faults come first, after the route is known and before anything else.
	d := s.faults.decide(r.Method, r.URL.Path)
	if d.latency > 0 {
		if !sleepCtx(r.Context(), d.latency) {
			return response{}, false, true
		}
	}
	if d.rule != nil {
		rec.Fault = string(d.rule.Kind)
		// Answered before the platform handled the call: not in the
		// merchant's request log (§7); drop_after_commit is.
		lg.skip = d.rule.Kind != FaultDropAfterCommit
		switch d.rule.Kind {
		case FaultDropBeforeCommit:
			return response{}, false, true
		case FaultErrorBeforeCommit:
			e := newError(d.rule.Status, "internal_error", "Internal error", "The sandbox injected a server error.")
			if d.rule.Status == 503 {
				e = newError(503, "service_unavailable", "Service unavailable", "The sandbox injected an outage.")
				e.retryAfter = 1
			}
			return e.response(reqID), false, false
		case FaultRateLimit:
			e := newError(429, "rate_limited", "Too many requests", "The sandbox injected a rate limit.")
			e.retryAfter = max(d.rule.RetryAfter, 1)
			return e.response(reqID), false, false
		}
	}
	dropAfter := d.rule != nil && d.rule.Kind == FaultDropAfterCommit

	if rt.access == accessPublic { // GET /v1/status: no auth, never in maintenance
		return rt.h(&call{s: s, r: r, args: args, reqID: reqID}), false, dropAfter
	}

	s.mu.Lock()
	maintenance, rate := s.maintenance, s.rateLimit
	s.mu.Unlock()
	if maintenance {
		lg.skip = true
		e := newError(503, "service_unavailable", "Service unavailable", "The platform is down for maintenance.")
		e.retryAfter = 30
		return e.response(reqID), false, false
	}

	m, key, aerr := s.authenticate(r)
	if aerr != nil {
		return aerr.response(reqID), false, false
	}
	rec.MerchantID = m.id
	s.mu.Lock()
	restricted := m.restricted
	var limited bool
	var wait int
	if rate > 0 {
		ok, wt := m.bucket.take(rate, time.Now())
		limited, wait = !ok, wt
	}
	s.mu.Unlock()
	if rt.creates && restricted {
		return newError(403, "account_restricted", "Account restricted",
			"The merchant account is restricted: it cannot take money or create objects.").response(reqID), false, false
	}
	if limited {
		e := newError(429, "rate_limited", "Too many requests", "Too many requests; slow down.")
		e.retryAfter = wait
		return e.response(reqID), false, false
	}

	c := &call{s: s, m: m, key: key, r: r, args: args, reqID: reqID}
	if r.Method == http.MethodPost {
		body, berr := readBody(w, r, true)
		if berr != nil {
			return berr.response(reqID), false, false
		}
		c.body = body
		if raw, ok := r.Header["Idempotency-Key"]; ok {
			if len(raw) > 1 {
				return errInvalid("Idempotency-Key", "Send one Idempotency-Key header, not several.").response(reqID), false, false
			}
			key, valid := parseIdempotencyKey(raw[0])
			if !valid {
				return errInvalid("Idempotency-Key", "The Idempotency-Key header must be 1 to 255 visible ASCII characters.").response(reqID), false, false
			}
			rec.IdempotencyKey = key
			resp, replayed := s.idempotent(c, rt, key)
			return resp, replayed, dropAfter
		}
	}
	return rt.h(c), false, dropAfter
}

// idempotent runs h at most once per (merchant, key) per §2.
func (s *Sandbox) idempotent(c *call, rt *route, key string) (response, bool) {
	h := rt.h
	fp := newFingerprint(c.r.Method, c.r.URL.Path, c.body)
	if rt.callerInFingerprint {
		fp.caller = c.key.ID
	}
	s.mu.Lock()
	now := s.clock.Now()
	res, e := c.m.idem.begin(key, fp, now)
	var stored response
	var wait int
	switch res {
	case idemReplay:
		stored = e.resp
	case idemFull:
		wait = c.m.idem.retryAfter(now)
	}
	s.mu.Unlock()
	switch res {
	case idemFull:
		// Forgetting a live key could execute a refund twice; refusing
		// executes nothing, and the client retries later with the same key.
		er := newError(503, "service_unavailable", "Service unavailable",
			"The sandbox holds as many live idempotency keys as it can for this merchant; retry after the oldest expires.")
		er.retryAfter = wait
		return er.response(c.reqID), false
	case idemMismatch:
		return newError(422, "idempotency_key_reused", "Idempotency key reused",
			"The Idempotency-Key was already used for a different request.").response(c.reqID), false
	case idemInUse:
		er := newError(409, "idempotency_key_in_use", "Idempotency key in use",
			"A request with this Idempotency-Key is still being processed; retry shortly.")
		er.retryAfter = 1
		return er.response(c.reqID), false
	case idemReplay:
		return stored, true
	}
	finished := false
	defer func() {
		if !finished { // h panicked: nothing committed, so a retry must run afresh
			s.mu.Lock()
			c.m.idem.abandon(e)
			s.mu.Unlock()
		}
	}()
	resp := h(c)
	s.mu.Lock()
	c.m.idem.finish(e, resp, s.clock.Now())
	s.mu.Unlock()
	finished = true
	return resp, false
}

// readBody reads at most 1 MiB. With checkType, a non-empty body must be
// declared as JSON (or not declared at all); the control API skips the check
// so that a bare `curl -d` works.
func readBody(w http.ResponseWriter, r *http.Request, checkType bool) ([]byte, *apiError) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errInvalid("", "The request body is larger than 1 MiB.")
		}
		return nil, errInvalid("", "The request body could not be read.")
	}
	if checkType && len(body) > 0 {
		if ct := r.Header.Get("Content-Type"); ct != "" {
			mt, _, err := mime.ParseMediaType(ct)
			if err != nil || mt != "application/json" {
				return nil, errInvalid("", "The request body must be application/json.")
			}
		}
	}
	return body, nil
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// authenticate applies the checks of §1 in the decided order, with the key
// states of §7: an expiring key works until its expires_at on the sandbox
// clock, an expired one is 401 api_key_expired, a revoked one 401
// invalid_api_key. A call that passes stamps the key's last_used_at.
func (s *Sandbox) authenticate(r *http.Request) (*merchant, *apiKey, *apiError) {
	authz := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(authz, "Bearer ")
	if !ok || !wellFormedKey(tok) {
		return nil, nil, newError(401, "authentication_required", "Authentication required",
			"Send your API key as Authorization: Bearer sk_test_….")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.byKey[keyDigest(tok)]
	if k == nil || k.Status == keyRevoked {
		return nil, nil, newError(401, "invalid_api_key", "Invalid API key", "The API key is not known to this sandbox, or was revoked.")
	}
	now := s.clock.Now()
	s.expireKeyLocked(k.m, k, now)
	if k.Status == keyExpired {
		return nil, nil, newError(401, "api_key_expired", "API key expired",
			"The API key was rolled and its overlap has ended; use the key that replaced it.").withAPIKey(k.ID)
	}
	mid := r.Header.Get("Tokenim-Merchant-Id")
	if mid == "" {
		return nil, nil, newError(401, "authentication_required", "Authentication required",
			"The Tokenim-Merchant-Id header is required.").withParam("Tokenim-Merchant-Id")
	}
	if mid != k.m.id {
		return nil, nil, newError(403, "merchant_mismatch", "Merchant mismatch",
			"The API key does not belong to the merchant in Tokenim-Merchant-Id.")
	}
	k.LastUsedAt = timestampPtr(now)
	return k.m, k, nil
}

func wellFormedKey(tok string) bool {
	rest, ok := strings.CutPrefix(tok, "sk_test_")
	if !ok {
		rest, ok = strings.CutPrefix(tok, "sk_live_")
	}
	if !ok || rest == "" {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if rest[i] <= 0x20 || rest[i] > 0x7e {
			return false
		}
	}
	return true
}
