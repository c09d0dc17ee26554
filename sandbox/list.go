package sandbox

// The list and fetch mechanics every resource shares: one page builder
// (limit, starting_after, newest first) and one by-id lookup.

import (
	"strconv"
	"strings"
)

// getOne answers the caller's object with the path's id, or 404: under the
// lock, so lookups may settle what fell due (lookupOrder expires orders).
func getOne[T any](c *call, kind string, lookup func(id string) *T) response {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	o := lookup(c.args[0])
	if o == nil {
		return errMissing(kind, c.args[0], "").response(c.reqID)
	}
	return jsonResponse(o)
}

// listPage answers a list request over items (oldest first) newest first,
// honouring limit and starting_after. The caller holds s.mu.
func listPage[T any](c *call, items []T, prefix string, id func(T) string, keep func(T) bool) response {
	q := c.r.URL.Query()
	limit := 10
	if q.Has("limit") {
		n, err := strconv.Atoi(q.Get("limit"))
		if err != nil || n < 1 || n > 100 {
			return errInvalid("limit", "limit must be an integer from 1 to 100.").response(c.reqID)
		}
		limit = n
	}
	start := len(items) - 1
	if q.Has("starting_after") {
		after := q.Get("starting_after")
		p, ok := c.m.pos[after]
		if !ok || !strings.HasPrefix(after, prefix) || p >= len(items) || id(items[p]) != after {
			return errInvalid("starting_after", "starting_after must be the id of an object in this list.").response(c.reqID)
		}
		start = p - 1
	}
	data := make([]any, 0, limit)
	more := false
	for i := start; i >= 0; i-- {
		if !keep(items[i]) {
			continue
		}
		if len(data) == limit {
			more = true
			break
		}
		data = append(data, items[i])
	}
	return jsonResponse(listBody{Object: "list", Data: data, HasMore: more})
}

type listBody struct {
	Object  string `json:"object"`
	Data    []any  `json:"data"`
	HasMore bool   `json:"has_more"`
}
