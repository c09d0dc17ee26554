package sandbox

// maxLog bounds each of the sandbox's logs (requests, webhook deliveries):
// a long-running sandbox keeps the newest entries only.
const maxLog = 10000

// ringLog keeps the newest limit entries (maxLog when 0). The caller locks.
type ringLog[T any] struct {
	limit int
	items []T
	next  int // position of the oldest entry once items is full
}

func (l *ringLog[T]) add(v T) {
	limit := l.limit
	if limit <= 0 {
		limit = maxLog
	}
	if len(l.items) < limit {
		l.items = append(l.items, v)
		return
	}
	l.items[l.next] = v
	l.next = (l.next + 1) % limit
}

// all returns the entries oldest first, never nil (a JSON list shows []).
func (l *ringLog[T]) all() []T {
	out := make([]T, 0, len(l.items))
	out = append(out, l.items[l.next:]...)
	return append(out, l.items[:l.next]...)
}

func (l *ringLog[T]) reset() { *l = ringLog[T]{limit: l.limit} }

// withLogLimit lets tests reach the logs' cap without 10 000 requests.
func withLogLimit(n int) Option {
	return func(c *config) error { c.logLimit = n; return nil }
}
