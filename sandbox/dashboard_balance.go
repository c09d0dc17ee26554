package sandbox

// The dashboard's balance and settlements (docs/tokenim-api.md §9): the
// balance with its transactions, the daily settlements, and each
// settlement's CSV statement as a download.

import (
	"net/http"
	"strconv"
)

type balanceBodyPage struct {
	Balance balanceBody
	Items   []*balanceTxn
	Pager   pager
	filterForm
}

func dashBalance(d *dashCall) {
	typ := d.r.URL.Query().Get("type")
	d.page("balance", "Balance", func(m *merchant, p *pageData) (any, bool) {
		items, pg := paginate(d.r, m.ledger.txnList, func(t *balanceTxn) bool { return typ == "" || t.Type == typ })
		return balanceBodyPage{Balance: balanceOf(m, d.s.clock.Now()), Items: items, Pager: pg,
			filterForm: filterForm{"type", "Type", typ, sortedKeys(txnTypes)}}, true
	})
}

func dashSettlements(d *dashCall) {
	d.page("settlements", "Settlements", func(m *merchant, p *pageData) (any, bool) {
		items, pg := paginate(d.r, m.ledger.stlList, nil)
		return listBodyOf[*settlement]{Items: items, Pager: pg}, true
	})
}

// dashSettlementReport downloads a settlement's statement: the very answer
// of GET /v1/settlements/{id}/report, which a browser cannot call itself
// (it needs the API key).
func dashSettlementReport(d *dashCall) {
	s := d.s
	s.mu.Lock()
	_, m := d.frameLocked("", "")
	s.mu.Unlock()
	if m == nil {
		d.fail(http.StatusNotFound, "No such merchant.")
		return
	}
	resp := getSettlementReport(&call{s: s, m: m, r: d.r, args: d.args, reqID: s.newID("req_")})
	if resp.status != http.StatusOK {
		d.fail(http.StatusNotFound, "No such settlement: "+strconv.Quote(d.args[0])+".")
		return
	}
	h := d.w.Header()
	h.Set("Content-Type", resp.contentType)
	h.Set("Content-Disposition", `attachment; filename="`+d.args[0]+`.csv"`)
	h.Set("Content-Length", strconv.Itoa(len(resp.body)))
	_, _ = d.w.Write(resp.body)
}
