package sandbox

// Object versions (docs/tokenim-api.md §10). Every resource object embeds
// versioned and encodes itself through wireJSON, the one place a version
// moves: whenever the object is shown — a GET, a list, a create's answer, an
// event's snapshot — its wire form is compared with the form last shown, and
// any difference takes the next version. No mutation site calls anything, so
// no future change to any field can forget to bump it; a field that is
// added later is covered the day it reaches the wire. Changes that no reader
// could see apart (several within one call) share one number; a version is
// never shown with two different contents. An event about an object always
// carries a version no earlier event of it carried, also when the object is
// unchanged (dispute.evidence_due_soon): a receiver that drops snapshots at
// or below the version it applied must never drop a first delivery of a
// distinct event (docs/contract-decisions.md §10).

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strconv"
)

// versioned is the version state of one resource object. Only wireJSON
// touches it, under s.mu like every other read or write of the object.
type versioned struct {
	// Version is 1 when the object is first shown and +1 for every shown
	// change; never reused.
	Version int64 `json:"version"`

	shown    [sha256.Size]byte // digest of the wire form shown at Version, "version" left out
	inEvent  bool              // an event already carried Version
	forEvent bool              // the encoding in progress is an event's snapshot
	touched  bool              // changed where the wire form does not show it (touch)
}

// touch records a change that the object's wire form does not show (an
// endpoint's signing secrets): its next encoding takes a new version.
func (v *versioned) touch() { v.touched = true }

// versionState gives emit the state of any resource object (promoted from
// the embedded versioned).
func (v *versioned) versionState() *versioned { return v }

// versionedObject is a resource object of §10.
type versionedObject interface{ versionState() *versioned }

// wireJSON encodes a resource object: wire is the object converted to a
// method-less type of the same layout (so that encoding does not recurse),
// v its version state. versioned is embedded last, so "version" ends the
// encoding: what comes before it is the content that is compared, and a new
// version only rewrites the end — one encoding per look.
func wireJSON(v *versioned, wire any) ([]byte, error) {
	b, err := json.Marshal(wire)
	if err != nil {
		return nil, err
	}
	var num [20]byte
	tail := append(append([]byte(`"version":`), strconv.AppendInt(num[:0], v.Version, 10)...), '}')
	content, ok := bytes.CutSuffix(b, tail)
	if !ok {
		return nil, fmt.Errorf("sandbox: %T: version must be the last field of a resource object", wire)
	}
	sum := sha256.Sum256(content)
	if v.Version == 0 || sum != v.shown || v.touched || (v.forEvent && v.inEvent) {
		v.Version++
		v.inEvent, v.touched = false, false
		b = append(append(append(content, `"version":`...), strconv.AppendInt(num[:0], v.Version, 10)...), '}')
	}
	v.shown = sum
	if v.forEvent {
		v.inEvent, v.forEvent = true, false
	}
	return b, nil
}

// snapshot encodes obj as an event's data.object (see emit).
func snapshot(obj any) []byte {
	if vo, ok := obj.(versionedObject); ok {
		vo.versionState().forEvent = true
	}
	b, _ := json.Marshal(obj)
	return b
}

// withSecret adds "secret" to an object's encoding: the one answer (create,
// roll, rotate) that shows it.
func withSecret(obj json.Marshaler, secret string) ([]byte, error) {
	b, err := obj.MarshalJSON()
	if err != nil {
		return nil, err
	}
	b = bytes.TrimSuffix(b, []byte("}"))
	return append(append(b, `,"secret":`...), strconv.Quote(secret)+"}"...), nil
}

// The encoders of the resource objects of §10: each converts to a local
// type of the same layout and goes through wireJSON.

// MarshalJSON implements json.Marshaler.
func (o *order) MarshalJSON() ([]byte, error) {
	type wire order
	return wireJSON(&o.versioned, (*wire)(o))
}

// MarshalJSON implements json.Marshaler.
func (p *payment) MarshalJSON() ([]byte, error) {
	type wire payment
	return wireJSON(&p.versioned, (*wire)(p))
}

// MarshalJSON implements json.Marshaler.
func (r *refund) MarshalJSON() ([]byte, error) {
	type wire refund
	return wireJSON(&r.versioned, (*wire)(r))
}

// MarshalJSON implements json.Marshaler.
func (k *apiKey) MarshalJSON() ([]byte, error) {
	type wire apiKey
	return wireJSON(&k.versioned, (*wire)(k))
}

// MarshalJSON implements json.Marshaler.
func (d *dispute) MarshalJSON() ([]byte, error) {
	type wire dispute
	return wireJSON(&d.versioned, (*wire)(d))
}

// MarshalJSON implements json.Marshaler.
func (t *balanceTxn) MarshalJSON() ([]byte, error) {
	type wire balanceTxn
	return wireJSON(&t.versioned, (*wire)(t))
}

// MarshalJSON implements json.Marshaler.
func (st *settlement) MarshalJSON() ([]byte, error) {
	type wire settlement
	return wireJSON(&st.versioned, (*wire)(st))
}

// MarshalJSON implements json.Marshaler.
func (e *endpoint) MarshalJSON() ([]byte, error) {
	type wire endpoint
	return wireJSON(&e.versioned, (*wire)(e))
}

// MarshalJSON adds the secret to the endpoint's encoding.
func (e endpointWithSecret) MarshalJSON() ([]byte, error) { return withSecret(e.endpoint, e.Secret) }

// MarshalJSON adds the secret to the key's encoding.
func (k apiKeyWithSecret) MarshalJSON() ([]byte, error) { return withSecret(k.apiKey, k.Secret) }
