package sandbox

// Request logs (docs/tokenim-api.md §7): one entry per /v1/ call, kept per
// merchant for 30 days on the sandbox clock and at most maxRequestLogs
// entries, never with a body or a key. ServeHTTP writes them (logRequest);
// GET /v1/request_logs reads them.

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

const (
	// requestLogRetention is how long a request log is kept (§7).
	requestLogRetention = 30 * 24 * time.Hour
	// maxRequestLogs bounds each merchant's request log: past it the oldest
	// entries go first, so a long-running sandbox under load keeps its
	// memory bounded (docs/contract-decisions.md).
	maxRequestLogs = 10000
)

// requestLog is one call as the platform saw it.
type requestLog struct {
	ID             string    `json:"id"`
	Object         string    `json:"object"`
	Method         string    `json:"method"`
	Path           string    `json:"path"`
	Status         int       `json:"status"`
	ErrorCode      *string   `json:"error_code"`
	IdempotencyKey *string   `json:"idempotency_key"`
	Replayed       bool      `json:"replayed"`
	APIKeyLast4    *string   `json:"api_key_last4"`
	DurationMS     int64     `json:"duration_ms"`
	CreatedAt      timestamp `json:"created_at"`

	seq uint64
	at  time.Time
}

// logNote is what serveAPI learns about a call for its request log: whose
// log it goes to and with which key. skip marks an answer given before the
// platform handled the call (maintenance, faults before commit), which §7
// leaves out.
type logNote struct {
	m    *merchant
	key  *apiKey
	skip bool
}

// noteCaller sets whose log a call goes to: the recognised key's merchant,
// else the merchant Tokenim-Merchant-Id names (§7). The caller holds s.mu.
func (s *Sandbox) noteCaller(r *http.Request, lg *logNote) {
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && wellFormedKey(tok) {
		if k := s.byKey[keyDigest(tok)]; k != nil {
			lg.m, lg.key = k.m, k
			return
		}
	}
	lg.m = s.merchants[r.Header.Get("Tokenim-Merchant-Id")]
}

// isRequestLogPath reports a call to /v1/request_logs itself, never logged.
func isRequestLogPath(p string) bool {
	return p == "/v1/request_logs" || strings.HasPrefix(p, "/v1/request_logs/")
}

// logRequest records one answered call in its merchant's log.
func (s *Sandbox) logRequest(lg *logNote, r *http.Request, reqID string, resp response, replayed bool, at time.Time, took time.Duration, idemKey string) {
	if lg.m == nil || lg.skip || isRequestLogPath(r.URL.Path) {
		return
	}
	e := &requestLog{
		ID: reqID, Object: "request_log", Method: r.Method, Path: r.URL.Path, Status: resp.status,
		Replayed: replayed, DurationMS: took.Milliseconds(), CreatedAt: timestamp(at), at: at,
	}
	if resp.status >= 300 && resp.code != "" {
		e.ErrorCode = stringPtr(resp.code)
	}
	// §7: the log shows no idempotency key for /v1/api_keys calls.
	if idemKey != "" && !strings.HasPrefix(r.URL.Path, "/v1/api_keys") {
		e.IdempotencyKey = stringPtr(idemKey)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := lg.m
	if s.merchants[m.id] != m {
		return // reset while the call ran
	}
	if lg.key != nil {
		e.APIKeyLast4 = stringPtr(lg.key.Last4)
	}
	m.logSeq++
	e.seq = m.logSeq
	m.logs = append(m.logs, e)
	m.logByID[e.ID] = e
	s.pruneLogsLocked(m, s.clock.Now())
}

// pruneLogsLocked drops the entries past retention or past the cap.
func (s *Sandbox) pruneLogsLocked(m *merchant, now time.Time) {
	cutoff := now.Add(-requestLogRetention) // an entry is gone 30 days after its call
	limit := s.cfg.logLimit
	if limit <= 0 {
		limit = maxRequestLogs
	}
	drop := 0
	for drop < len(m.logs) && (len(m.logs)-drop > limit || !m.logs[drop].at.After(cutoff)) {
		delete(m.logByID, m.logs[drop].ID)
		m.logs[drop] = nil
		drop++
	}
	m.logs = m.logs[drop:]
}

func getRequestLog(c *call) response {
	c.s.mu.Lock()
	c.s.pruneLogsLocked(c.m, c.s.clock.Now())
	c.s.mu.Unlock()
	return getOne(c, "request log", func(id string) *requestLog { return c.m.logByID[id] })
}

// logFilter is the query of GET /v1/request_logs.
type logFilter struct {
	method, path, idemKey string
	status, class         int // exact status, or class 2/4/5 for "2xx"…
	gte, lt               time.Time
}

func (f *logFilter) keep(e *requestLog) bool {
	return (f.method == "" || e.Method == f.method) &&
		(f.status == 0 || e.Status == f.status) &&
		(f.class == 0 || e.Status/100 == f.class) &&
		strings.HasPrefix(e.Path, f.path) &&
		(f.idemKey == "" || (e.IdempotencyKey != nil && *e.IdempotencyKey == f.idemKey)) &&
		(f.gte.IsZero() || !e.at.Before(f.gte)) &&
		(f.lt.IsZero() || e.at.Before(f.lt))
}

func parseLogFilter(c *call) (*logFilter, *apiError) {
	q := c.r.URL.Query()
	f := &logFilter{method: q.Get("method"), path: q.Get("path"), idemKey: q.Get("idempotency_key")}
	if q.Has("method") {
		switch f.method {
		case http.MethodGet, http.MethodPost, http.MethodDelete, http.MethodPut, http.MethodPatch:
		default:
			return nil, errInvalid("method", "method must be an HTTP method in upper case, such as GET or POST.")
		}
	}
	if q.Has("status") {
		st := q.Get("status")
		if len(st) == 3 && st[1:] == "xx" && (st[0] == '2' || st[0] == '4' || st[0] == '5') {
			f.class = int(st[0] - '0')
		} else if n, err := strconv.Atoi(st); err == nil && n >= 100 && n <= 599 && len(st) == 3 {
			f.status = n
		} else {
			return nil, errInvalid("status", "status must be a status code such as 404, or 2xx, 4xx or 5xx.")
		}
	}
	if q.Has("path") && !strings.HasPrefix(f.path, "/") {
		return nil, errInvalid("path", "path must be a path prefix starting with /, such as /v1/orders.")
	}
	var e *apiError
	if f.gte, e = parseLogTime("created_gte", q.Get("created_gte")); e != nil {
		return nil, e
	}
	if f.lt, e = parseLogTime("created_lt", q.Get("created_lt")); e != nil {
		return nil, e
	}
	return f, nil
}

// parseLogTime reads a created_… filter: an RFC 3339 time, or none.
func parseLogTime(name, v string) (time.Time, *apiError) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, errInvalid(name, name+" must be an RFC 3339 time such as 2026-11-21T09:30:00Z.")
	}
	return t, nil
}

// listRequestLogs is GET /v1/request_logs. The log is not in m.pos (entries
// come and go with retention), so starting_after is found by sequence.
func listRequestLogs(c *call) response {
	f, e := parseLogFilter(c)
	if e != nil {
		return e.response(c.reqID)
	}
	q := c.r.URL.Query()
	limit := 10
	if q.Has("limit") {
		n, err := strconv.Atoi(q.Get("limit"))
		if err != nil || n < 1 || n > 100 {
			return errInvalid("limit", "limit must be an integer from 1 to 100.").response(c.reqID)
		}
		limit = n
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	m := c.m
	s.pruneLogsLocked(m, s.clock.Now())
	start := len(m.logs) - 1
	if q.Has("starting_after") {
		after := m.logByID[q.Get("starting_after")]
		if after == nil {
			return errInvalid("starting_after", "starting_after must be the id of a request log in this list.").response(c.reqID)
		}
		start = sort.Search(len(m.logs), func(i int) bool { return m.logs[i].seq >= after.seq }) - 1
	}
	data := make([]any, 0, limit)
	more := false
	for i := start; i >= 0; i-- {
		if !f.keep(m.logs[i]) {
			continue
		}
		if len(data) == limit {
			more = true
			break
		}
		data = append(data, m.logs[i])
	}
	return jsonResponse(listBody{Object: "list", Data: data, HasMore: more})
}
