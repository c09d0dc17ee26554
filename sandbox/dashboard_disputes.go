package sandbox

// The dashboard's disputes (docs/tokenim-api.md §8): the list with how long
// each has left to answer, one dispute with its evidence, and the payment
// page's "open a dispute" button.

import (
	"net/http"
	"strings"
)

func dashDisputes(d *dashCall) {
	filteredList(d, "disputes", "Disputes", "status", sortedKeys(disputeStatuses), func(m *merchant) []*dispute {
		now := d.s.clock.Now()
		for _, dp := range m.dpList {
			d.s.settleDeadline(m, dp, now)
		}
		return m.dpList
	}, func(dp *dispute) string { return dp.Status })
}

type disputeBody struct {
	Dispute  *dispute
	Evidence [][2]string // field, text
	Events   []*event
}

func dashDispute(d *dashCall) {
	d.page("dispute", "Dispute", func(m *merchant, p *pageData) (any, bool) {
		dp := d.s.lookupDispute(m, d.args[0])
		if dp == nil {
			return nil, false
		}
		b := disputeBody{Dispute: dp, Events: eventsAbout(m, dp.ID)}
		for _, f := range evidenceFields {
			if v := *dp.Evidence.field(f); v != nil {
				b.Evidence = append(b.Evidence, [2]string{f, *v})
			}
		}
		return b, true
	})
}

// NeedsResponse reports whether the merchant can still answer (the due-in
// column counts down only then).
func (dp *dispute) NeedsResponse() bool { return dp.Status == "needs_response" }

// Dispute is the payment's dispute, nil when none opened.
func (p *payment) Dispute() *dispute { return p.dispute }

// Disputable reports whether the dashboard offers to open a dispute: a
// succeeded card payment without one (openDispute says why not otherwise).
func (p *payment) Disputable() bool {
	return p.dispute == nil && p.Status == "succeeded" && p.Method.Type == "card"
}

// dashOpenDispute opens a dispute on a payment, as POST /_sandbox/disputes does.
func dashOpenDispute(d *dashCall) {
	f := d.r.PostForm
	reason := f.Get("reason")
	if !disputeReasons[reason] {
		d.fail(http.StatusBadRequest, "reason must be one of "+joinKeys(disputeReasons)+".")
		return
	}
	s := d.s
	s.mu.Lock()
	_, m := d.frameLocked("", "")
	var msg string
	var dp *dispute
	if m == nil || m.payments[f.Get("payment")] == nil {
		msg = "No such payment: " + f.Get("payment") + "."
	} else if opened, e := s.openDispute(m, m.payments[f.Get("payment")], reason, s.clock.Now()); e != nil {
		msg = e.detail
	} else {
		dp = opened
	}
	s.mu.Unlock()
	if dp == nil {
		d.fail(http.StatusBadRequest, msg)
		return
	}
	d.done("Opened dispute " + dp.ID + " (" + reason + "): evidence is due by " + formatTime(dp.dueBy) + ".")
}

func joinKeys(m map[string]bool) string { return strings.Join(sortedKeys(m), ", ") }
