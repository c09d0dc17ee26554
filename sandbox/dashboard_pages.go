package sandbox

// The dashboard's pages: each builds its body from the merchant's objects
// under the state lock (dashCall.page) for its template in ui/templates.

import (
	"bytes"
	"encoding/json"
	"html/template"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

type overviewBody struct {
	Disputes, NeedsResponse        int
	Keys                           int
	Faults                         *FaultPlan
	FaultsJSON                     string
	Orders, Payments, Refunds      int
	PendingRefunds, Events         int
	Endpoints, Requests            int
	DeliveriesOK, DeliveriesFailed int
	Retrying                       int
	ByStatus                       map[string]int
	EventTypes                     []string
}

func dashOverview(d *dashCall) {
	d.page("overview", "Overview", func(m *merchant, p *pageData) (any, bool) {
		b := overviewBody{
			Orders: len(m.orderList), Payments: len(m.payList), Refunds: len(m.refList), Events: len(m.events),
			Requests: len(d.s.requests.items), ByStatus: map[string]int{}, EventTypes: triggerTypes(),
		}
		for _, pay := range m.payList {
			b.ByStatus[pay.Status]++
		}
		b.Disputes, b.Keys = len(m.dpList), len(m.keyList)
		for _, dp := range m.dpList {
			if dp.NeedsResponse() {
				b.NeedsResponse++
			}
		}
		for _, rf := range m.refList {
			if rf.Status == "pending" {
				b.PendingRefunds++
			}
		}
		for _, ep := range m.epList {
			if !ep.deleted {
				b.Endpoints++
			}
		}
		for _, g := range d.s.deliveryGroupsLocked(m, "") {
			switch g.State {
			case "succeeded":
				b.DeliveriesOK++
			case "retrying":
				b.Retrying++
			default:
				b.DeliveriesFailed++
			}
		}
		d.s.faults.mu.Lock()
		if d.s.faults.plan != nil {
			plan := *d.s.faults.plan
			b.Faults = &plan
		}
		d.s.faults.mu.Unlock()
		if b.Faults != nil {
			raw, _ := json.MarshalIndent(b.Faults, "", "  ")
			b.FaultsJSON = string(raw)
		}
		return b, true
	})
}

// listBodyOf is a page of a list with the filter it was made with.
type listBodyOf[T any] struct {
	Items []T
	Pager pager
	filterForm
}

// filteredList serves a list page with one filter: ?key= keeps the items
// whose field equals it. items reads the merchant's list (oldest first)
// under the state lock, settling what fell due.
func filteredList[T any](d *dashCall, name, title, key string, values []string, items func(*merchant) []T, field func(T) string) {
	want := d.r.URL.Query().Get(key)
	d.page(name, title, func(m *merchant, _ *pageData) (any, bool) {
		shown, pg := paginate(d.r, items(m), func(x T) bool { return want == "" || field(x) == want })
		return listBodyOf[T]{shown, pg, filterForm{key, strings.ToUpper(key[:1]) + key[1:], want, values}}, true
	})
}

// filterForm is a list's one filter: a query key and the values it takes.
type filterForm struct {
	FilterKey, FilterName, Filter string
	Statuses                      []string
}

func dashOrders(d *dashCall) {
	filteredList(d, "orders", "Orders", "status", sortedKeys(orderStatuses), func(m *merchant) []*order {
		now := d.s.clock.Now()
		for _, o := range m.orderList {
			d.s.expireIfDue(m, o, now)
		}
		return m.orderList
	}, func(o *order) string { return o.Status })
}

type orderBody struct {
	Order    *order
	Payments []*payment
	Refunds  []*refund
	Events   []*event
}

func dashOrder(d *dashCall) {
	d.page("order", "Order", func(m *merchant, p *pageData) (any, bool) {
		o := d.s.lookupOrder(m, d.args[0])
		if o == nil {
			return nil, false
		}
		b := orderBody{Order: o, Events: eventsAbout(m, o.ID)}
		for _, pay := range slices.Backward(m.payList) {
			if pay.OrderID == o.ID {
				b.Payments = append(b.Payments, pay)
			}
		}
		for _, rf := range slices.Backward(m.refList) {
			if rf.OrderID == o.ID {
				b.Refunds = append(b.Refunds, rf)
			}
		}
		return b, true
	})
}

func dashPayments(d *dashCall) {
	filteredList(d, "payments", "Payments", "status", sortedKeys(paymentStatuses),
		func(m *merchant) []*payment { return m.payList }, func(p *payment) string { return p.Status })
}

type paymentBody struct {
	Payment        *payment
	Refunds        []*refund
	Events         []*event
	DisputeReasons []string // for the "open a dispute" form
	// Requests are the merchant's request log entries about the payment,
	// newest first: the call that made it and every call on its path;
	// RequestLogsHref is the request logs page filtered to them.
	Requests        []*requestLog
	RequestLogsHref template.URL
}

// about reports whether the request log entry l is a call about p: the
// call that made it, or one on its path (GET, confirm, cancel, receipt). A
// nil payment is about nothing.
func (p *payment) about(l *requestLog) bool {
	return p != nil && (l.ID == p.requestID || strings.Contains(l.Path, "/"+p.ID))
}

func dashPayment(d *dashCall) {
	d.page("payment", "Payment", func(m *merchant, p *pageData) (any, bool) {
		pay := m.payments[d.args[0]]
		if pay == nil {
			return nil, false
		}
		b := paymentBody{Payment: pay, Events: eventsAbout(m, pay.ID), DisputeReasons: sortedKeys(disputeReasons)}
		href := string(p.Href("request_logs"))
		sep := "?"
		if strings.Contains(href, "?") {
			sep = "&"
		}
		b.RequestLogsHref = template.URL(href + sep + "payment=" + url.QueryEscape(pay.ID))
		d.s.pruneLogsLocked(m, d.s.clock.Now())
		for _, l := range slices.Backward(m.logs) {
			if pay.about(l) {
				b.Requests = append(b.Requests, l)
			}
		}
		for _, rf := range slices.Backward(m.refList) {
			if rf.PaymentID == pay.ID {
				b.Refunds = append(b.Refunds, rf)
			}
		}
		return b, true
	})
}

// MethodSummary says how a payment was paid without its card number:
// "visa •••• 4242", "wallet alipay", "bank_transfer".
func (p *payment) MethodSummary() string {
	switch {
	case p.Method.Card != nil:
		return p.Method.Card.Brand + " •••• " + p.Method.Card.Last4
	case p.Method.Wallet != nil:
		return "wallet " + p.Method.Wallet.Provider
	}
	return p.Method.Type
}

func dashRefunds(d *dashCall) {
	filteredList(d, "refunds", "Refunds", "status", []string{"failed", "pending", "succeeded"},
		func(m *merchant) []*refund { return m.refList }, func(rf *refund) string { return rf.Status })
}

type refundBody struct {
	Refund *refund
	Events []*event
	// SettlesAt is when a pending refund settles (five minutes after it was made).
	SettlesAt time.Time
}

func dashRefund(d *dashCall) {
	d.page("refund", "Refund", func(m *merchant, p *pageData) (any, bool) {
		rf := m.refunds[d.args[0]]
		if rf == nil {
			return nil, false
		}
		b := refundBody{Refund: rf, Events: eventsAbout(m, rf.ID)}
		if rf.Status == "pending" {
			b.SettlesAt = time.Time(rf.CreatedAt).Add(refundSettleDelay)
		}
		return b, true
	})
}

// refundSettleDelay is when createRefund's later() settles a refund.
const refundSettleDelay = 5 * time.Minute

func dashEvents(d *dashCall) {
	filteredList(d, "events", "Events", "type", sortedKeys(eventTypes),
		func(m *merchant) []*event { d.s.pruneEventsLocked(m, d.s.clock.Now()); return m.events }, func(e *event) string { return e.typ })
}

type eventPage struct {
	Event      *event
	JSON       string
	ObjectID   string
	Deliveries []deliveryGroup
	Endpoints  []*endpoint // live endpoints, for a resend to one that got none
}

func dashEvent(d *dashCall) {
	d.page("event", "Event", func(m *merchant, p *pageData) (any, bool) {
		d.s.pruneEventsLocked(m, d.s.clock.Now())
		ev := m.eventByID[d.args[0]]
		if ev == nil {
			return nil, false
		}
		b := eventPage{Event: ev, JSON: prettyJSON(ev.raw), ObjectID: ev.ObjectID(),
			Deliveries: d.s.deliveryGroupsLocked(m, ev.id)}
		for _, ep := range m.epList {
			if !ep.deleted {
				b.Endpoints = append(b.Endpoints, ep)
			}
		}
		return b, true
	})
}

// ID, Type and CreatedAt read the stored event for the templates.
func (e *event) ID() string   { return e.id }
func (e *event) Type() string { return e.typ }

// CreatedAt is the event's created_at.
func (e *event) CreatedAt() time.Time {
	var b struct {
		CreatedAt time.Time `json:"created_at"`
	}
	_ = json.Unmarshal(e.raw, &b)
	return b.CreatedAt
}

// ObjectID is the id of the object the event carries.
func (e *event) ObjectID() string {
	var b struct {
		Data struct {
			Object struct {
				ID string `json:"id"`
			} `json:"object"`
		} `json:"data"`
	}
	_ = json.Unmarshal(e.raw, &b)
	return b.Data.Object.ID
}

// eventsAbout returns the merchant's events whose object is id, newest first.
func eventsAbout(m *merchant, id string) []*event {
	needle := []byte(`"object":{"id":` + strconv.Quote(id))
	var out []*event
	for _, ev := range slices.Backward(m.events) {
		if bytes.Contains(ev.raw, needle) {
			out = append(out, ev)
		}
	}
	return out
}

// deliveryGroup is one whd_ delivery (docs/tokenim-api.md §10) with its
// attempts from the delivery log.
type deliveryGroup struct {
	ID, EventID, EventType, EndpointID, URL string
	// Resent marks a delivery made by a resend.
	Resent       bool
	AttemptCount int
	Attempts     []Delivery
	// Status is the delivery's: pending, succeeded or failed. State is what
	// the dashboard filters and colours by: succeeded, retrying (pending;
	// NextRetry is set) or failed.
	Status, State string
	NextRetry     time.Time
	// LastResponse is the last answer's status code, 0 for none; LastError
	// why the last attempt got no answer.
	LastResponse int
	LastError    string
	// CanResend: the endpoint still exists.
	CanResend bool
}

// deliveryView is what the "delivery" template gets: the page and one group.
type deliveryView struct {
	Page  *pageData
	Group deliveryGroup
}

// Last is the latest attempt.
func (g deliveryGroup) Last() Delivery { return g.Attempts[len(g.Attempts)-1] }

// Headers are the signature headers an attempt was sent with (none secret).
func (d Delivery) Headers() [][2]string {
	return [][2]string{
		{"webhook-id", d.EventID},
		{"webhook-timestamp", strconv.FormatInt(d.timestamp, 10)},
		{"webhook-signature", d.signature},
	}
}

// Took is how long the endpoint took to answer (real time).
func (d Delivery) Took() time.Duration { return d.took }

// deliveryGroupsLocked returns m's deliveries (only eventID's when set),
// newest first, each with its attempts. The caller holds s.mu.
func (s *Sandbox) deliveryGroupsLocked(m *merchant, eventID string) []deliveryGroup {
	s.delivery.mu.Lock()
	log := s.delivery.log.all()
	s.delivery.mu.Unlock()
	attempts := map[string][]Delivery{}
	for _, a := range log {
		attempts[a.DeliveryID] = append(attempts[a.DeliveryID], a)
	}
	var groups []deliveryGroup
	for _, dl := range slices.Backward(m.dlvList) {
		if eventID != "" && dl.EventID != eventID {
			continue
		}
		g := deliveryGroup{ID: dl.ID, EventID: dl.EventID, EventType: dl.EventType, EndpointID: dl.EndpointID,
			Resent: dl.resend, AttemptCount: dl.AttemptCount, Attempts: attempts[dl.ID], Status: dl.Status, State: dl.Status,
			CanResend: m.endpoints[dl.EndpointID] != nil, LastError: derefOr(dl.LastError, "")}
		if ep := m.endpoints[dl.EndpointID]; ep != nil {
			g.URL = ep.URL
		} else if len(g.Attempts) > 0 {
			g.URL = g.Attempts[0].URL
		}
		if dl.LastResponseStatus != nil {
			g.LastResponse = *dl.LastResponseStatus
		}
		if dl.Status == deliveryPending {
			g.State = "retrying"
			if dl.NextAttemptAt != nil {
				g.NextRetry = time.Time(*dl.NextAttemptAt)
			}
		}
		groups = append(groups, g)
	}
	return groups
}

type deliveriesBody struct {
	Groups    []deliveryGroup
	Pager     pager
	Endpoints []*endpoint
	filterForm
}

func dashDeliveries(d *dashCall) {
	state := d.r.URL.Query().Get("state")
	d.page("deliveries", "Webhooks", func(m *merchant, p *pageData) (any, bool) {
		all := d.s.deliveryGroupsLocked(m, "")
		slices.Reverse(all) // paginate takes oldest first
		items, pg := paginate(d.r, all, func(g deliveryGroup) bool { return state == "" || g.State == state })
		b := deliveriesBody{Groups: items, Pager: pg, filterForm: filterForm{"state", "State", state, []string{"failed", "retrying", "succeeded"}}}
		for _, ep := range m.epList {
			if !ep.deleted {
				b.Endpoints = append(b.Endpoints, ep)
			}
		}
		return b, true
	})
}

// SecretCount says how many secrets sign the endpoint's deliveries now (two
// during a rotation); the secrets themselves are never shown.
func (e *endpoint) SecretCount(now time.Time) int { return len(e.activeSecrets(now)) }

type requestsBody struct {
	Items                  []RequestRecord
	Pager                  pager
	Method, Status, Path   string
	AllMerchants           bool
	Methods, StatusClasses []string
}

func dashRequests(d *dashCall) {
	q := d.r.URL.Query()
	method, status, pathPart, all := q.Get("method"), q.Get("status"), q.Get("path"), q.Get("all") == "1"
	d.page("requests", "Sandbox request log", func(m *merchant, p *pageData) (any, bool) {
		keep := func(r RequestRecord) bool {
			return (all || r.MerchantID == m.id) && (method == "" || r.Method == method) &&
				(pathPart == "" || strings.Contains(r.Path, pathPart)) && statusMatches(r.Status, status)
		}
		items, pg := paginate(d.r, d.s.requests.all(), keep)
		return requestsBody{Items: items, Pager: pg, Method: method, Status: status, Path: pathPart, AllMerchants: all,
			Methods: []string{"GET", "POST", "DELETE"}, StatusClasses: []string{"2xx", "4xx", "5xx", "dropped"}}, true
	})
}

// statusMatches filters by a status class ("4xx"), "dropped" (0) or an exact code.
func statusMatches(got int, want string) bool {
	switch {
	case want == "":
		return true
	case want == "dropped":
		return got == 0
	case len(want) == 3 && strings.HasSuffix(want, "xx"):
		return got/100 == int(want[0]-'0')
	}
	return strconv.Itoa(got) == want
}

type merchantRow struct {
	ID         string
	Key        string // masked
	Restricted bool
	Default    bool
	Orders     int
}

func dashMerchants(d *dashCall) {
	d.page("merchants", "Merchants", func(_ *merchant, p *pageData) (any, bool) {
		rows := make([]merchantRow, 0, len(p.Merchants))
		// Oldest first for paginate: the default merchant ends on top.
		for _, id := range slices.Backward(p.Merchants) {
			m := d.s.merchants[id]
			row := merchantRow{ID: id, Key: "none active", Restricted: m.restricted,
				Default: id == d.s.cfg.merchantID, Orders: len(m.orderList)}
			for _, k := range m.keyList {
				if k.Status == keyActive {
					row.Key = "sk_" + k.Mode + "_…" + k.Last4
				}
			}
			rows = append(rows, row)
		}
		items, pg := paginate(d.r, rows, nil)
		return listBodyOf[merchantRow]{Items: items, Pager: pg}, true
	})
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
