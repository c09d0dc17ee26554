package sandbox

// The dashboard's actions: each is a POST form (CSRF-checked by
// serveDashboard) that does what the control API would, then sends the
// browser back to the page it came from with a line saying what happened.

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxAdvance is the longest one advance may move the clock, as for
// POST /_sandbox/clock/advance.
const maxAdvance = 10 * 365 * 24 * time.Hour

func dashAdvance(d *dashCall) {
	f := d.r.PostForm
	switch f.Get("action") {
	case "freeze":
		d.s.clock.Freeze()
		d.done("Clock frozen at " + formatTime(d.s.clock.Now()) + ".")
		return
	case "resume":
		d.s.clock.Resume()
		d.done("Clock running from " + formatTime(d.s.clock.Now()) + ".")
		return
	}
	raw := f.Get("by")
	if raw == "" {
		raw = f.Get("custom")
	}
	by, err := parseAdvance(raw)
	if err != "" {
		d.fail(http.StatusBadRequest, err)
		return
	}
	now := d.s.Advance(by)
	d.done("Advanced the clock by " + by.String() + " to " + formatTime(now) + ".")
}

// parseAdvance reads a duration as Go writes it ("90m", "1h30m") or with
// a day unit ("2d"), or a number of seconds; it returns why not otherwise.
func parseAdvance(raw string) (time.Duration, string) {
	raw = strings.TrimSpace(raw)
	const hint = "Give how far to advance as a duration such as 90s, 5m, 1h30m or 2d (at most ten years)."
	if raw == "" {
		return 0, hint
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(raw, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err != nil || !(n >= 0 && n <= maxAdvance.Hours()/24) { // also NaN
			return 0, hint
		}
		d = time.Duration(n * 24 * float64(time.Hour))
	} else if n, err := strconv.ParseFloat(raw, 64); err == nil {
		if !(n >= 0 && n <= maxAdvance.Seconds()) { // also NaN
			return 0, hint
		}
		d = time.Duration(n * float64(time.Second))
	} else {
		var err error
		if d, err = time.ParseDuration(raw); err != nil {
			return 0, hint
		}
	}
	if d <= 0 || d > maxAdvance {
		return 0, hint
	}
	return d, ""
}

func dashMaintenance(d *dashCall) {
	on := d.r.PostForm.Get("enabled") == "on"
	d.s.SetMaintenance(on)
	if on {
		d.done("Maintenance on: every /v1/ call but GET /v1/status answers 503.")
		return
	}
	d.done("Maintenance off.")
}

func dashFaults(d *dashCall) {
	if d.r.PostForm.Get("action") == "clear" {
		d.s.ClearFaults()
		d.done("Fault plan cleared.")
		return
	}
	// The same decoder and checks as POST /_sandbox/faults.
	plan, e := decodeFaultPlan([]byte(d.r.PostForm.Get("plan")))
	if e != nil {
		d.fail(http.StatusBadRequest, "The fault plan is not valid: "+e.detail)
		return
	}
	if err := d.s.SetFaults(plan); err != nil {
		d.fail(http.StatusBadRequest, "The fault plan is not valid: "+strings.TrimPrefix(err.Error(), "sandbox: fault plan: "))
		return
	}
	d.done("Fault plan set: " + strconv.Itoa(len(plan.Rules)) + " rules.")
}

// dashResend resends an event to an endpoint through the API's code
// (ResendDelivery, POST /v1/events/{id}/resend) and says how the new
// delivery's first attempt went.
func dashResend(d *dashCall) {
	f := d.r.PostForm
	ev, ep := f.Get("event"), f.Get("endpoint")
	id, err := d.s.ResendDelivery(d.r.Context(), ev, ep)
	if err != nil {
		d.fail(http.StatusBadRequest, strings.TrimPrefix(err.Error(), "sandbox: "))
		return
	}
	var last Delivery
	for _, a := range d.s.Deliveries() {
		if a.DeliveryID == id {
			last = a
		}
	}
	msg := "Resent " + ev + " to " + ep + " as " + id + ": "
	switch {
	case last.Succeeded:
		msg += "the endpoint answered " + strconv.Itoa(last.StatusCode) + "."
	case last.Err != "":
		msg += "failed (" + last.Err + "); retries follow the schedule."
	default:
		msg += "sent."
	}
	d.done(msg)
}

func dashTrigger(d *dashCall) {
	typ := d.r.PostForm.Get("type")
	s := d.s
	s.mu.Lock()
	_, m := d.frameLocked("", "")
	var key string
	if m != nil {
		key = m.apiKey
	}
	s.mu.Unlock()
	if m == nil {
		d.fail(http.StatusNotFound, "No such merchant.")
		return
	}
	ids, err := s.trigger(m.id, key, typ)
	if err != nil {
		d.fail(http.StatusBadRequest, "trigger "+typ+": "+err.Error())
		return
	}
	d.done("Triggered " + typ + " through " + strings.Join(ids, ", ") + ".")
}
