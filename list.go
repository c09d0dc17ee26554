package tokenim

import (
	"context"
	"fmt"
	"iter"
	"net/url"
	"strings"

	"github.com/google/go-querystring/query"
)

// List is one page of a list endpoint, newest first.
type List[T any] struct {
	Object  string `json:"object"`
	Data    []*T   `json:"data"`
	HasMore bool   `json:"has_more"`
}

// ListParams are the paging parameters every list accepts. Limit 0 means the
// platform default (10); otherwise 1–100. StartingAfter is the id of the last
// object of the previous page.
type ListParams struct {
	Limit         int    `url:"limit,omitempty"`
	StartingAfter string `url:"starting_after,omitempty"`
}

func (p *ListParams) validate(prefix string) error {
	if p.Limit < 0 || p.Limit > 100 {
		return invalid("limit", "must be between 1 and 100 (0 for the default), got %d", p.Limit)
	}
	if p.StartingAfter != "" {
		return validateID("starting_after", prefix, p.StartingAfter)
	}
	return nil
}

// page gives listQuery the paging parameters every list params type embeds.
func (p *ListParams) page() *ListParams { return p }

// listParams is a pointer to a list's params struct: it embeds ListParams and
// carries url tags for its filters.
type listParams[P any] interface {
	*P
	page() *ListParams
}

// filterValidator is implemented by list params whose filters are ids.
type filterValidator interface{ validateFilters() error }

// listQuery is the one place a list's query is built: it validates the
// paging parameters (starting_after against ep's id prefix) and any filters,
// then encodes params by their url tags. nil params give no query.
func listQuery[P any, PP listParams[P]](ep endpoint, params PP) (url.Values, error) {
	if params == nil {
		return nil, nil
	}
	if err := params.page().validate(ep.idPrefix); err != nil {
		return nil, err
	}
	if f, ok := any(params).(filterValidator); ok {
		if err := f.validateFilters(); err != nil {
			return nil, err
		}
	}
	v, err := query.Values(params)
	if err != nil {
		return nil, fmt.Errorf("tokenim: encode list parameters: %w", err)
	}
	return v, nil
}

// lister is the list mechanics of one resource: its list endpoint and how
// to read the id that starting_after takes from an item. A service's List and
// All are each one call of it, so their mechanics live here once.
type lister[T any, P any, PP listParams[P]] struct {
	ep   endpoint
	idOf func(*T) string
}

// newLister makes the lister of ep; only the params type needs naming:
// newLister[OrderListParams](ep, func(o *Order) string { return o.ID }).
func newLister[P any, PP listParams[P], T any](ep endpoint, idOf func(*T) string) lister[T, P, PP] {
	return lister[T, P, PP]{ep: ep, idOf: idOf}
}

// page fetches the page that params select.
func (l lister[T, P, PP]) page(ctx context.Context, c *Client, params PP, opts []RequestOption) (*List[T], error) {
	q, err := listQuery(l.ep, params)
	if err != nil {
		return nil, err
	}
	return fetchPage[T](ctx, c, l.ep, q, opts)
}

// under is l for a list nested under the object parentID, which fills the
// route's {id} (of prefix, checked as field): GET
// /v1/webhook_endpoints/{id}/deliveries.
func (l lister[T, P, PP]) under(field, prefix, parentID string) (lister[T, P, PP], error) {
	if err := validateID(field, prefix, parentID); err != nil {
		return l, err
	}
	l.ep.route = strings.Replace(l.ep.route, "{id}", parentID, 1)
	return l, nil
}

// all is listAll over l.
func (l lister[T, P, PP]) all(ctx context.Context, c *Client, params PP, opts []RequestOption) iter.Seq2[*T, error] {
	return listAll(ctx, c, l.ep, params, l.idOf, opts)
}

// fetchPage fetches the page of ep that query q selects.
func fetchPage[T any](ctx context.Context, c *Client, ep endpoint, q url.Values, opts []RequestOption) (*List[T], error) {
	if len(q) > 0 {
		ep.route += "?" + q.Encode()
	}
	ep.idPrefix = "" // the route of a list has no {id}
	return fetch[List[T]](ctx, c, ep, "", nil, opts)
}

// listAll walks every page lazily, following starting_after from the last
// object of each page. It yields the first error and stops; breaking out of
// the loop makes no further request.
func listAll[T any, P any, PP listParams[P]](ctx context.Context, c *Client, ep endpoint, params PP, idOf func(*T) string, opts []RequestOption) iter.Seq2[*T, error] {
	first, err := listQuery(ep, params)
	return func(yield func(*T, error) bool) {
		if err != nil {
			yield(nil, err)
			return
		}
		// Each walk starts from the caller's parameters, so the sequence can
		// be ranged over more than once.
		q := url.Values{}
		for k, v := range first {
			q[k] = v
		}
		for {
			page, err := fetchPage[T](ctx, c, ep, q, opts)
			if err != nil {
				yield(nil, err)
				return
			}
			for _, item := range page.Data {
				if !yield(item, nil) {
					return
				}
			}
			if !page.HasMore {
				return
			}
			if len(page.Data) == 0 {
				yield(nil, fmt.Errorf("tokenim: GET %s: page has has_more but no data", ep.route))
				return
			}
			q.Set("starting_after", idOf(page.Data[len(page.Data)-1]))
		}
	}
}
