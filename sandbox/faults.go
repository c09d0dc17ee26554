package sandbox

import (
	"fmt"
	"math"
	mrand "math/rand/v2"
	"strings"
	"sync"
	"time"
)

// FaultKind names what a fault rule does to a request.
type FaultKind string

// The fault kinds of §6.
const (
	// FaultDropBeforeCommit closes the connection before the request executes.
	FaultDropBeforeCommit FaultKind = "drop_before_commit"
	// FaultDropAfterCommit executes and commits the request, then closes the
	// connection without a response.
	FaultDropAfterCommit FaultKind = "drop_after_commit"
	// FaultErrorBeforeCommit answers Status (500, 502, 503, 504) without executing.
	FaultErrorBeforeCommit FaultKind = "error_before_commit"
	// FaultRateLimit answers 429 rate_limited with Retry-After.
	FaultRateLimit FaultKind = "rate_limit"
	// FaultLatency delays the request by MS milliseconds and lets evaluation go on.
	FaultLatency FaultKind = "latency"
)

// FaultPlan is a seeded list of fault rules: the same seed and the same
// request sequence give the same faults.
type FaultPlan struct {
	Seed  int64       `json:"seed"`
	Rules []FaultRule `json:"rules"`
}

// FaultRule is one rule of a FaultPlan. Method and Path (a prefix) are
// optional filters; Rate is the probability (0…1) that the rule fires.
type FaultRule struct {
	Method     string    `json:"method,omitempty"`
	Path       string    `json:"path,omitempty"`
	Kind       FaultKind `json:"kind"`
	Status     int       `json:"status,omitempty"`
	RetryAfter int       `json:"retry_after,omitempty"`
	Rate       float64   `json:"rate"`
	MS         int       `json:"ms,omitempty"`
}

// Validate reports the first thing wrong with the plan, naming the field.
func (p FaultPlan) Validate() error {
	for i, r := range p.Rules {
		at := fmt.Sprintf("rules.%d", i)
		if math.IsNaN(r.Rate) || r.Rate < 0 || r.Rate > 1 {
			return fmt.Errorf("sandbox: fault plan: %s.rate must be between 0 and 1", at)
		}
		if r.Path != "" && !strings.HasPrefix(r.Path, "/") {
			return fmt.Errorf("sandbox: fault plan: %s.path must start with /", at)
		}
		switch r.Kind {
		case FaultDropBeforeCommit, FaultDropAfterCommit:
		case FaultErrorBeforeCommit:
			switch r.Status {
			case 500, 502, 503, 504:
			default:
				return fmt.Errorf("sandbox: fault plan: %s.status must be 500, 502, 503 or 504", at)
			}
		case FaultRateLimit:
			if r.RetryAfter < 0 || r.RetryAfter > 3600 {
				return fmt.Errorf("sandbox: fault plan: %s.retry_after must be between 0 and 3600", at)
			}
		case FaultLatency:
			if r.MS < 0 || r.MS > 60000 {
				return fmt.Errorf("sandbox: fault plan: %s.ms must be between 0 and 60000", at)
			}
		default:
			return fmt.Errorf("sandbox: fault plan: %s.kind %q is not a fault kind", at, string(r.Kind))
		}
	}
	return nil
}

// faultState draws faults from a seeded source under a mutex, in arrival order.
type faultState struct {
	mu   sync.Mutex
	plan *FaultPlan
	rng  *mrand.Rand
}

// SetFaults installs a fault plan, replacing any earlier one.
func (s *Sandbox) SetFaults(p FaultPlan) error {
	if err := p.Validate(); err != nil {
		return err
	}
	p.Rules = append([]FaultRule(nil), p.Rules...)
	s.faults.mu.Lock()
	s.faults.plan = &p
	s.faults.rng = mrand.New(mrand.NewPCG(uint64(p.Seed), uint64(p.Seed)^0x9e3779b97f4a7c15))
	s.faults.mu.Unlock()
	return nil
}

// ClearFaults removes the fault plan.
func (s *Sandbox) ClearFaults() { s.faults.clear() }

func (f *faultState) clear() {
	f.mu.Lock()
	f.plan, f.rng = nil, nil
	f.mu.Unlock()
}

// decision is what the fault plan does to one request.
type decision struct {
	rule    *FaultRule // the rule that fired, nil if none
	latency time.Duration
}

// decide evaluates the plan for one request. Every matching rule draws one
// number, in rule order, so the sequence depends only on the seed and the
// requests.
func (f *faultState) decide(method, path string) decision {
	f.mu.Lock()
	defer f.mu.Unlock()
	var d decision
	if f.plan == nil {
		return d
	}
	for i := range f.plan.Rules {
		r := &f.plan.Rules[i]
		if r.Method != "" && !strings.EqualFold(r.Method, method) {
			continue
		}
		if r.Path != "" && !strings.HasPrefix(path, r.Path) {
			continue
		}
		if f.rng.Float64() >= r.Rate {
			continue
		}
		if r.Kind == FaultLatency {
			d.latency += time.Duration(r.MS) * time.Millisecond
			continue
		}
		rc := *r
		d.rule = &rc
		return d
	}
	return d
}

// tokenBucket is a per-merchant rate limiter on real time.
type tokenBucket struct {
	tokens float64
	last   time.Time
}

// take consumes a token at rate per second (burst = rate) or returns the
// whole seconds until one is free.
func (b *tokenBucket) take(rate float64, now time.Time) (bool, int) {
	burst := math.Max(rate, 1)
	if b.last.IsZero() {
		b.tokens = burst
	} else {
		b.tokens = math.Min(burst, b.tokens+now.Sub(b.last).Seconds()*rate)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := int(math.Ceil((1 - b.tokens) / rate))
	if wait < 1 {
		wait = 1
	}
	return false, wait
}
