package acceptance

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// versionOf reads an object's version, failing when it is not an integer ≥ 1
// (docs/tokenim-api.md §10).
func versionOf(t *testing.T, o map[string]any) int64 {
	t.Helper()
	v := num(o, "version")
	require.GreaterOrEqual(t, v, int64(1), "%s %s has an integer version ≥ 1: %v", o["object"], o["id"], o["version"])
	return v
}

// allEvents lists every event, oldest first.
func (e *env) allEvents() []map[string]any {
	e.t.Helper()
	var out []map[string]any
	path := "/v1/events?limit=100"
	for {
		page, more := e.list(path)
		out = append(out, page...)
		if !more || len(page) == 0 {
			break
		}
		path = "/v1/events?limit=100&starting_after=" + str(page[len(page)-1], "id")
	}
	slices.Reverse(out)
	return out
}

// getPath is the GET of the object an event snapshot holds.
func getPath(o map[string]any) string {
	switch str(o, "object") {
	case "order":
		return "/v1/orders/" + str(o, "id")
	case "payment":
		return "/v1/payments/" + str(o, "id")
	case "refund":
		return "/v1/refunds/" + str(o, "id")
	case "dispute":
		return "/v1/disputes/" + str(o, "id")
	case "api_key":
		return "/v1/api_keys/" + str(o, "id")
	case "settlement":
		return "/v1/settlements/" + str(o, "id")
	}
	return ""
}

// checkVersions holds every event so far to §10: per object, the snapshots'
// versions strictly increase in event order, and the newest snapshot has the
// version GET answers now exactly when it shows what GET shows now (GET is
// later otherwise). seen carries what earlier checks saw, so that a version
// never goes back across steps either.
func (e *env) checkVersions(step string, seen map[string]int64) {
	t := e.t
	t.Helper()
	newest := map[string]map[string]any{}
	last := map[string]int64{}
	for _, ev := range e.allEvents() {
		snap := obj(ev, "data.object")
		id, v := str(snap, "id"), versionOf(t, snap)
		assert.Greater(t, v, last[id], "%s: %s %s carries v%d after v%d", step, str(ev, "type"), id, v, last[id])
		last[id] = v
		newest[id] = snap
	}
	for id, snap := range newest {
		got := e.ok(e.get(getPath(snap)))
		gv := versionOf(t, got)
		assert.GreaterOrEqual(t, gv, seen[id], "%s: GET %s went back from v%d to v%d", step, id, seen[id], gv)
		seen[id] = gv
		if reflect.DeepEqual(got, snap) {
			assert.Equal(t, last[id], gv, "%s: GET %s shows the newest snapshot", step, id)
		} else {
			assert.Greater(t, gv, last[id], "%s: %s changed since its last event, so GET is a later version", step, id)
		}
		again := e.ok(e.get(getPath(snap)))
		assert.Equal(t, gv, versionOf(t, again), "%s: GET %s twice without a change answers one version", step, id)
	}
}

func TestVersions_paymentRefundDisputeLife(t *testing.T) {
	e := start(t)
	e.freeze()
	seen := map[string]int64{}

	o := e.order(1000)
	assert.Equal(t, int64(1), versionOf(t, o), "an order is created at version 1")
	ov := versionOf(t, e.getOrder(str(o, "id")))
	assert.Equal(t, int64(1), ov, "GET of an unchanged order answers version 1")

	// 4000000000000259: succeeds, then a fraudulent dispute opens 1 hour later (§8).
	p := e.ok(e.pay(str(o, "id"), card("4000000000000259")))
	pid := str(p, "id")
	e.checkVersions("paid", seen)
	assert.Greater(t, versionOf(t, e.getOrder(str(o, "id"))), ov, "paying the order changed it")

	rf := e.ok(e.refund(pid, map[string]any{"amount": 300}))
	assert.Equal(t, int64(1), versionOf(t, rf), "a refund is created at version 1")
	e.advance(6 * time.Minute)
	e.checkVersions("refunded", seen)

	e.advance(time.Hour)
	require.Len(t, e.events("dispute.created"), 1)
	e.checkVersions("disputed", seen)

	disputes, _ := e.list("/v1/disputes?payment_id=" + pid)
	require.Len(t, disputes, 1)
	dp := disputes[0]
	created := versionOf(t, dp)

	// dispute.evidence_due_soon shows an unchanged dispute: it still carries
	// a version no earlier event of it carried (docs/contract-decisions.md §10).
	e.advance(5*24*time.Hour + time.Minute)
	soon := e.eventsFor("dispute.evidence_due_soon", str(dp, "id"))
	require.Len(t, soon, 1)
	assert.Greater(t, versionOf(t, obj(soon[0], "data.object")), created)
	e.checkVersions("due soon", seen)

	e.ok(e.evidence(str(dp, "id"), map[string]any{"product_description": "shipped"}, false))
	e.ok(e.evidence(str(dp, "id"), map[string]any{}, true))
	e.checkVersions("submitted", seen)
	e.advance(25 * time.Hour)
	e.checkVersions("closed", seen)
	closed := e.ok(e.get("/v1/disputes/" + str(dp, "id")))
	assert.Equal(t, "won", str(closed, "status"))
}

func (e *env) requireEventAbout(typ string) map[string]any {
	e.t.Helper()
	evs := e.events(typ)
	require.NotEmpty(e.t, evs, "a %s event", typ)
	return evs[0]
}

func TestVersions_everyObjectCarriesOne(t *testing.T) {
	e := start(t)
	e.freeze()
	_, p := e.paidOrder(2000)
	e.ok(e.refund(str(p, "id"), map[string]any{"amount": 100}))
	txns, _ := e.list("/v1/balance_transactions?type=payment")
	require.Len(t, txns, 1)
	assert.Equal(t, int64(1), versionOf(t, txns[0]))
	e.advance(48 * time.Hour) // refunds settle, a settlement is paid
	for _, path := range []string{"/v1/orders", "/v1/payments", "/v1/refunds", "/v1/api_keys",
		"/v1/balance_transactions", "/v1/settlements", "/v1/webhook_endpoints"} {
		items, _ := e.list(path + "?limit=100")
		for _, it := range items {
			versionOf(t, it)
		}
		if path != "/v1/webhook_endpoints" {
			assert.NotEmpty(t, items, "%s lists something to check", path)
		}
	}
	ep := e.ok(e.post("/v1/webhook_endpoints", map[string]any{"url": "https://shop.example/hook", "events": []string{"*"}}))
	assert.Equal(t, int64(1), versionOf(t, ep), "an endpoint is created at version 1")
	rot := e.ok(e.post("/v1/webhook_endpoints/"+str(ep, "id")+"/rotate_secret", map[string]any{"expire_old_after_seconds": 0}))
	assert.NotEmpty(t, str(rot, "secret"))
	assert.Equal(t, int64(2), versionOf(t, rot), "rotating the secret changes the endpoint, though GET does not show it")
	assert.Equal(t, int64(2), versionOf(t, e.ok(e.get("/v1/webhook_endpoints/"+str(ep, "id")))))

	// A settled balance transaction changed (settlement_id): a later version.
	txns, _ = e.list("/v1/balance_transactions?type=payment")
	require.Len(t, txns, 1)
	assert.NotEmpty(t, str(txns[0], "settlement_id"))
	assert.Equal(t, int64(2), versionOf(t, txns[0]), "settling a transaction is a change")
	_ = e.requireEventAbout("settlement.paid")
}
