package sandbox

// Webhook endpoints (docs/tokenim-api.md §5): create, list, get, delete and
// rotate_secret; delivery.go signs and sends the events.

import (
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"
)

type endpointSecret struct {
	secret    string
	expiresAt time.Time // zero: never
}

type endpoint struct {
	ID          string    `json:"id"`
	Object      string    `json:"object"`
	URL         string    `json:"url"`
	Events      []string  `json:"events"`
	Description *string   `json:"description"`
	Status      string    `json:"status"`
	CreatedAt   timestamp `json:"created_at"`
	versioned

	secrets []endpointSecret // newest first
	deleted bool
}

// endpointWithSecret is the create/rotate answer, the only one with the secret.
type endpointWithSecret struct {
	*endpoint
	Secret string `json:"secret"`
}

func (e *endpoint) subscribed(typ string) bool {
	for _, t := range e.Events {
		if t == "*" || t == typ {
			return true
		}
	}
	return false
}

// activeSecrets returns the secrets that sign a delivery at now.
func (e *endpoint) activeSecrets(now time.Time) []string {
	out := make([]string, 0, len(e.secrets))
	for _, s := range e.secrets {
		if s.expiresAt.IsZero() || now.Before(s.expiresAt) {
			out = append(out, s.secret)
		}
	}
	return out
}

var endpointSchema = []field{
	{name: "url", kind: kString, required: true},
	{name: "events", kind: kStringList, required: true},
	{name: "description", kind: kString},
}

func validEndpointURL(raw string) bool {
	if raw == "" || len(raw) > 2048 {
		return false
	}
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func createEndpoint(c *call) response {
	o, e := decodeStrict(c.body, endpointSchema)
	if e != nil {
		return e.response(c.reqID)
	}
	if !validEndpointURL(o.str("url")) {
		return errInvalid("url", "url must be an absolute http or https URL of at most 2048 characters.").response(c.reqID)
	}
	evs := o.strList("events")
	if len(evs) == 0 {
		return errInvalid("events", "events must list at least one event type, or be [\"*\"].").response(c.reqID)
	}
	for i, t := range evs {
		if !eventTypes[t] && !(t == "*" && len(evs) == 1) {
			return errInvalid("events."+strconv.Itoa(i), "events must be known event types, or exactly [\"*\"].").response(c.reqID)
		}
	}
	var desc *string
	if o.has("description") {
		d := o.str("description")
		if utf8.RuneCountInString(d) > 1000 {
			return errInvalid("description", "description may be at most 1000 characters.").response(c.reqID)
		}
		desc = &d
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	ep := s.addEndpointLocked(c.m, o.str("url"), evs, desc, newSecret())
	return jsonResponse(endpointWithSecret{endpoint: ep, Secret: ep.secrets[0].secret})
}

func (s *Sandbox) addEndpointLocked(m *merchant, u string, events []string, desc *string, secret string) *endpoint {
	ep := &endpoint{
		ID: s.newID("we_"), Object: "webhook_endpoint", URL: u, Events: events, Description: desc,
		Status: "enabled", CreatedAt: timestamp(s.clock.Now()), secrets: []endpointSecret{{secret: secret}},
	}
	m.endpoints[ep.ID] = ep
	m.pos[ep.ID] = len(m.epList)
	m.epList = append(m.epList, ep)
	return ep
}

func getEndpoint(c *call) response {
	return getOne(c, "webhook endpoint", func(id string) *endpoint { return c.m.endpoints[id] })
}

func listEndpoints(c *call) response {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	return listPage(c, c.m.epList, "we_", func(e *endpoint) string { return e.ID }, func(e *endpoint) bool { return !e.deleted })
}

type deletedBody struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Deleted bool   `json:"deleted"`
}

func deleteEndpoint(c *call) response {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	ep := c.m.endpoints[c.args[0]]
	if ep == nil {
		return errMissing("webhook endpoint", c.args[0], "").response(c.reqID)
	}
	ep.deleted = true
	delete(c.m.endpoints, ep.ID)
	return jsonResponse(deletedBody{ID: ep.ID, Object: "webhook_endpoint", Deleted: true})
}

var rotateSchema = []field{{name: "expire_old_after_seconds", kind: kInt}}

// expireOldAfter reads the body of a rotation (an endpoint's secret, an API
// key): {"expire_old_after_seconds": 0…604800}, default 86400.
func expireOldAfter(body []byte) (int64, *apiError) {
	o, e := decodeStrict(body, rotateSchema)
	if e != nil {
		return 0, e
	}
	after := int64(86400)
	if o.has("expire_old_after_seconds") {
		after = o.int("expire_old_after_seconds")
		if after < 0 || after > 604800 {
			return 0, errInvalid("expire_old_after_seconds", "expire_old_after_seconds must be from 0 to 604800.")
		}
	}
	return after, nil
}

func rotateEndpointSecret(c *call) response {
	after, e := expireOldAfter(c.body)
	if e != nil {
		return e.response(c.reqID)
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	ep := c.m.endpoints[c.args[0]]
	if ep == nil {
		return errMissing("webhook endpoint", c.args[0], "").response(c.reqID)
	}
	now := s.clock.Now()
	expire := now.Add(time.Duration(after) * time.Second)
	for i := range ep.secrets {
		if ep.secrets[i].expiresAt.IsZero() || ep.secrets[i].expiresAt.After(expire) {
			ep.secrets[i].expiresAt = expire
		}
	}
	// Keep only secrets that can still sign, newest first.
	kept := []endpointSecret{{secret: newSecret()}}
	for _, sec := range ep.secrets {
		if now.Before(sec.expiresAt) {
			kept = append(kept, sec)
		}
	}
	ep.secrets = kept
	ep.touch()
	return jsonResponse(endpointWithSecret{endpoint: ep, Secret: kept[0].secret})
}
