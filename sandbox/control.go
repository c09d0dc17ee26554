package sandbox

import (
	"encoding/json"
	"math"
	"strings"
	"time"
)

// The control API (/_sandbox/…): never faulted, never in maintenance, no
// authentication, but only for same-site callers on an allowed Host (see
// guard.go). Its routes sit in the one route table (routes.go); each handler
// here gets the request body already read and capped.

type okBody struct {
	OK  bool       `json:"ok"`
	Now *timestamp `json:"now,omitempty"`
}

type clockBody struct {
	Now    timestamp `json:"now"`
	Frozen bool      `json:"frozen"`
}

type merchantBody struct {
	ID         string `json:"id"`
	APIKey     string `json:"api_key"`
	Restricted bool   `json:"restricted"`
}

type dataBody[T any] struct {
	Object string `json:"object"`
	Data   []T    `json:"data"`
}

var (
	advanceSchema     = []field{{name: "seconds", kind: kNumber, required: true}}
	maintenanceSchema = []field{{name: "enabled", kind: kBool, required: true}}
	restrictSchema    = []field{{name: "restricted", kind: kBool}}
	rateSchema        = []field{{name: "per_second", kind: kNumber, required: true}}
	faultRuleSchema   = []field{
		{name: "method", kind: kString}, {name: "path", kind: kString}, {name: "kind", kind: kString, required: true},
		{name: "status", kind: kInt}, {name: "retry_after", kind: kInt}, {name: "rate", kind: kNumber, required: true},
		{name: "ms", kind: kInt},
	}
)

func okResponse() response { return jsonResponse(okBody{OK: true}) }

func nowResponse(t time.Time) response { return jsonResponse(okBody{OK: true, Now: timestampPtr(t)}) }

func controlReset(c *call) response { c.s.Reset(); return okResponse() }

func controlAdvance(c *call) response {
	o, e := decodeStrict(c.body, advanceSchema)
	if e != nil {
		return e.response(c.reqID)
	}
	sec := o.float("seconds")
	if sec < 0 || math.IsInf(sec, 0) || sec > 10*365*24*3600 {
		return errInvalid("seconds", "seconds must be a non-negative number of at most ten years.").response(c.reqID)
	}
	return nowResponse(c.s.Advance(time.Duration(sec * float64(time.Second))))
}

func controlFreeze(c *call) response {
	if _, e := decodeStrict(c.body, nil); e != nil {
		return e.response(c.reqID)
	}
	c.s.clock.Freeze()
	return nowResponse(c.s.clock.Now())
}

func controlResume(c *call) response {
	if _, e := decodeStrict(c.body, nil); e != nil {
		return e.response(c.reqID)
	}
	c.s.clock.Resume()
	return nowResponse(c.s.clock.Now())
}

func controlClock(c *call) response {
	return jsonResponse(clockBody{Now: timestamp(c.s.clock.Now()), Frozen: c.s.clock.Frozen()})
}

func controlMaintenance(c *call) response {
	o, e := decodeStrict(c.body, maintenanceSchema)
	if e != nil {
		return e.response(c.reqID)
	}
	c.s.SetMaintenance(o.boolean("enabled"))
	return okResponse()
}

func controlSetFaults(c *call) response {
	plan, e := decodeFaultPlan(c.body)
	if e != nil {
		return e.response(c.reqID)
	}
	if err := c.s.SetFaults(plan); err != nil {
		return errInvalid("rules", strings.TrimPrefix(err.Error(), "sandbox: fault plan: ")).response(c.reqID)
	}
	return okResponse()
}

func controlClearFaults(c *call) response { c.s.ClearFaults(); return okResponse() }

// controlAddMerchant creates a merchant that Reset drops again.
func controlAddMerchant(c *call) response {
	o, e := decodeStrict(c.body, restrictSchema)
	if e != nil {
		return e.response(c.reqID)
	}
	m := c.s.addMerchant(true)
	if o.boolean("restricted") {
		_ = c.s.RestrictMerchant(m.ID, true)
	}
	return jsonResponse(merchantBody{ID: m.ID, APIKey: m.APIKey(), Restricted: o.boolean("restricted")})
}

func controlRestrict(c *call) response {
	o, e := decodeStrict(c.body, restrictSchema)
	if e != nil {
		return e.response(c.reqID)
	}
	restricted := true
	if o.has("restricted") {
		restricted = o.boolean("restricted")
	}
	if err := c.s.RestrictMerchant(c.args[0], restricted); err != nil {
		return errMissing("merchant", c.args[0], "").response(c.reqID)
	}
	return okResponse()
}

func controlRateLimit(c *call) response {
	o, e := decodeStrict(c.body, rateSchema)
	if e != nil {
		return e.response(c.reqID)
	}
	rate := o.float("per_second")
	if rate < 0 || math.IsInf(rate, 0) {
		return errInvalid("per_second", "per_second must be a non-negative number.").response(c.reqID)
	}
	c.s.SetRateLimit(rate)
	return okResponse()
}

func controlRequests(c *call) response {
	return jsonResponse(dataBody[RequestRecord]{Object: "list", Data: c.s.Requests()})
}

func controlDeliveries(c *call) response {
	return jsonResponse(dataBody[Delivery]{Object: "list", Data: c.s.Deliveries()})
}

// decodeFaultPlan checks a fault plan strictly, naming the path of a bad member.
func decodeFaultPlan(body []byte) (FaultPlan, *apiError) {
	o, e := decodeStrict(body, []field{{name: "seed", kind: kInt}, {name: "rules", kind: kObjectList, sub: faultRuleSchema}})
	if e != nil {
		return FaultPlan{}, e
	}
	var p FaultPlan
	if o.has("seed") {
		p.Seed = o.int("seed")
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return FaultPlan{}, errInvalid("", "The fault plan could not be decoded.")
	}
	return p, nil
}
