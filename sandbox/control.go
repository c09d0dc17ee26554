package sandbox

import (
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"time"
)

type okBody struct {
	OK  bool   `json:"ok"`
	Now *jtime `json:"now,omitempty"`
}

type clockBody struct {
	Now    jtime `json:"now"`
	Frozen bool  `json:"frozen"`
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

// control serves the /_sandbox/ API: never faulted, never in maintenance,
// no authentication.
func (s *Sandbox) control(r *http.Request, reqID string) response {
	path := strings.TrimSuffix(r.URL.Path, "/")
	var body []byte
	if r.Method == http.MethodPost {
		b, e := readBody(noopWriter{}, r)
		if e != nil {
			return e.response(reqID)
		}
		body = b
	}
	ok := func() response { return jsonResponse(okBody{OK: true}) }
	bad := func(e *apiError) response { return e.response(reqID) }
	method := func(want string) *apiError {
		if r.Method != want {
			return newError(405, "invalid_request", "Method not allowed", "Use "+want+" for "+path+".")
		}
		return nil
	}
	switch {
	case path == "/_sandbox/reset":
		if e := method("POST"); e != nil {
			return bad(e)
		}
		s.Reset()
		return ok()
	case path == "/_sandbox/clock/advance":
		if e := method("POST"); e != nil {
			return bad(e)
		}
		o, e := decodeStrict(body, advanceSchema)
		if e != nil {
			return bad(e)
		}
		sec := o.float("seconds")
		if sec < 0 || math.IsInf(sec, 0) || sec > 10*365*24*3600 {
			return bad(errInvalid("seconds", "seconds must be a non-negative number of at most ten years."))
		}
		now := s.Advance(time.Duration(sec * float64(time.Second)))
		return jsonResponse(okBody{OK: true, Now: jt(now)})
	case path == "/_sandbox/clock/freeze" || path == "/_sandbox/clock/resume":
		if e := method("POST"); e != nil {
			return bad(e)
		}
		if _, e := decodeStrict(body, nil); e != nil {
			return bad(e)
		}
		if strings.HasSuffix(path, "freeze") {
			s.clock.Freeze()
		} else {
			s.clock.Resume()
		}
		return jsonResponse(okBody{OK: true, Now: jt(s.clock.Now())})
	case path == "/_sandbox/clock":
		if e := method("GET"); e != nil {
			return bad(e)
		}
		return jsonResponse(clockBody{Now: jtime(s.clock.Now()), Frozen: s.clock.Frozen()})
	case path == "/_sandbox/maintenance":
		if e := method("POST"); e != nil {
			return bad(e)
		}
		o, e := decodeStrict(body, maintenanceSchema)
		if e != nil {
			return bad(e)
		}
		s.SetMaintenance(o.boolean("enabled"))
		return ok()
	case path == "/_sandbox/faults":
		switch r.Method {
		case http.MethodDelete:
			s.ClearFaults()
			return ok()
		case http.MethodPost:
			plan, e := decodeFaultPlan(body)
			if e != nil {
				return bad(e)
			}
			if err := s.SetFaults(plan); err != nil {
				return bad(errInvalid("rules", strings.TrimPrefix(err.Error(), "sandbox: fault plan: ")))
			}
			return ok()
		}
		return bad(newError(405, "invalid_request", "Method not allowed", "Use POST or DELETE for /_sandbox/faults."))
	case path == "/_sandbox/merchants":
		if e := method("POST"); e != nil {
			return bad(e)
		}
		o, e := decodeStrict(body, restrictSchema)
		if e != nil {
			return bad(e)
		}
		m := s.AddMerchant()
		if o.boolean("restricted") {
			_ = s.RestrictMerchant(m.ID, true)
		}
		return jsonResponse(merchantBody{ID: m.ID, APIKey: m.APIKey, Restricted: o.boolean("restricted")})
	case strings.HasPrefix(path, "/_sandbox/merchants/") && strings.HasSuffix(path, "/restrict"):
		if e := method("POST"); e != nil {
			return bad(e)
		}
		id := strings.TrimSuffix(strings.TrimPrefix(path, "/_sandbox/merchants/"), "/restrict")
		o, e := decodeStrict(body, restrictSchema)
		if e != nil {
			return bad(e)
		}
		restricted := true
		if o.has("restricted") {
			restricted = o.boolean("restricted")
		}
		if err := s.RestrictMerchant(id, restricted); err != nil {
			return bad(errMissing("merchant", id, ""))
		}
		return ok()
	case path == "/_sandbox/rate_limit":
		if e := method("POST"); e != nil {
			return bad(e)
		}
		o, e := decodeStrict(body, rateSchema)
		if e != nil {
			return bad(e)
		}
		rate := o.float("per_second")
		if rate < 0 || math.IsInf(rate, 0) {
			return bad(errInvalid("per_second", "per_second must be a non-negative number."))
		}
		s.SetRateLimit(rate)
		return ok()
	case path == "/_sandbox/requests":
		if e := method("GET"); e != nil {
			return bad(e)
		}
		return jsonResponse(dataBody[RequestRecord]{Object: "list", Data: s.Requests()})
	case path == "/_sandbox/deliveries":
		if e := method("GET"); e != nil {
			return bad(e)
		}
		return jsonResponse(dataBody[Delivery]{Object: "list", Data: s.Deliveries()})
	}
	return bad(newError(404, "resource_missing", "No such resource", "Unrecognised sandbox control URL ("+r.Method+" "+r.URL.Path+")."))
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

// noopWriter lets readBody cap a control request without a real writer.
type noopWriter struct{}

func (noopWriter) Header() http.Header         { return http.Header{} }
func (noopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (noopWriter) WriteHeader(int)             {}
