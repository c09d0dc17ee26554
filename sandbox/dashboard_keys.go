package sandbox

// The dashboard's API keys and request logs pages (docs/tokenim-api.md §7):
// keys by their last four characters only, and the merchant's request logs
// with the key that made each call.

import "strings"

func dashKeys(d *dashCall) {
	filteredList(d, "keys", "API keys", "status", sortedKeys(apiKeyStatuses), func(m *merchant) []*apiKey {
		now := d.s.clock.Now()
		for _, k := range m.keyList {
			d.s.expireKeyLocked(m, k, now)
		}
		return m.keyList
	}, func(k *apiKey) string { return k.Status })
}

type requestLogsBody struct {
	Items                     []*requestLog
	Pager                     pager
	Method, Status, Path, Key string
	Payment                   string // ?payment=: only the calls about that payment
	Methods, StatusClasses    []string
}

func dashRequestLogs(d *dashCall) {
	q := d.r.URL.Query()
	method, status, pathPart, key := q.Get("method"), q.Get("status"), q.Get("path"), q.Get("key")
	payID := q.Get("payment")
	d.page("request_logs", "Request logs", func(m *merchant, p *pageData) (any, bool) {
		d.s.pruneLogsLocked(m, d.s.clock.Now())
		pay := m.payments[payID]
		keep := func(l *requestLog) bool {
			return (method == "" || l.Method == method) && (pathPart == "" || strings.Contains(l.Path, pathPart)) &&
				statusMatches(l.Status, status) && (key == "" || derefOr(l.APIKeyLast4, "") == key) &&
				(payID == "" || pay.about(l))
		}
		items, pg := paginate(d.r, m.logs, keep)
		return requestLogsBody{Items: items, Pager: pg, Method: method, Status: status, Path: pathPart, Key: key, Payment: payID,
			Methods: []string{"GET", "POST", "DELETE"}, StatusClasses: []string{"2xx", "4xx", "5xx"}}, true
	})
}
