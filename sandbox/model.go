package sandbox

import (
	"time"
)

// timestamp is a time on the wire: an RFC 3339 UTC string with second
// precision (docs/tokenim-api.md §1).
type timestamp time.Time

// MarshalJSON implements json.Marshaler.
func (t timestamp) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format(time.RFC3339) + `"`), nil
}

// timestampPtr is the wire form of t for a nullable field.
func timestampPtr(t time.Time) *timestamp { ts := timestamp(t); return &ts }

// stringPtr is s for a nullable string field.
func stringPtr(s string) *string { return &s }

// merchant holds one account's objects; every lookup goes through it, which
// is what isolates merchants from each other.
type merchant struct {
	id         string
	apiKey     string
	restricted bool
	viaControl bool // created by POST /_sandbox/merchants: Reset drops it
	bucket     tokenBucket
	idem       *idemStore

	orders    map[string]*order
	orderList []*order
	byMOID    map[string]*order
	payments  map[string]*payment
	payList   []*payment
	refunds   map[string]*refund
	refList   []*refund
	events    []*event // oldest first; kept eventRetention (webhook_deliveries.go)
	eventByID map[string]*event
	// prunedEvents are the ids of events dropped after eventRetention: a
	// resend of one answers event_too_old, not resource_missing. They are
	// remembered for tombstoneRetention (prunedOrder, oldest first), so
	// memory stays bounded.
	prunedEvents map[string]bool
	prunedOrder  []tombstone
	deliveries   map[string]*webhookDelivery
	dlvList      []*webhookDelivery // oldest first
	endpoints    map[string]*endpoint
	disputes     map[string]*dispute
	dpList       []*dispute
	epList       []*endpoint
	pos          map[string]int // id → index in its list, for starting_after
	keys         map[string]*apiKey
	keyList      []*apiKey
	logs         []*requestLog // oldest first
	logByID      map[string]*requestLog
	logSeq       uint64

	ledger ledgerBook // balance transactions and settlements (balance.go)

	receiptSeq int
}

func newMerchant(id, key string, idemCap int) *merchant {
	return &merchant{
		id: id, apiKey: key,
		idem:         newIdemStore(idemCap),
		orders:       map[string]*order{},
		byMOID:       map[string]*order{},
		payments:     map[string]*payment{},
		refunds:      map[string]*refund{},
		eventByID:    map[string]*event{},
		prunedEvents: map[string]bool{},
		deliveries:   map[string]*webhookDelivery{},
		endpoints:    map[string]*endpoint{},
		disputes:     map[string]*dispute{},
		pos:          map[string]int{},
		keys:         map[string]*apiKey{},
		logByID:      map[string]*requestLog{},
	}
}
