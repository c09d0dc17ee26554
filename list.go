package tokenim

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"net/url"

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

// listQuery encodes params (a pointer to a struct with url tags, or nil).
func listQuery(params any) (url.Values, error) {
	v, err := query.Values(params)
	if err != nil {
		return nil, fmt.Errorf("tokenim: encode list parameters: %w", err)
	}
	return v, nil
}

// listPage fetches one page of path with query q.
func listPage[T any](ctx context.Context, c *Client, path string, q url.Values, opts []RequestOption) (*List[T], error) {
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	page := new(List[T])
	if err := c.call(ctx, http.MethodGet, path, nil, page, opts); err != nil {
		return nil, err
	}
	return page, nil
}

// listAll walks every page lazily, following starting_after from the last
// object of each page. It yields the first error and stops; breaking out of
// the loop makes no further request.
func listAll[T any](ctx context.Context, c *Client, path string, params url.Values, err error, idOf func(*T) string, opts []RequestOption) iter.Seq2[*T, error] {
	return func(yield func(*T, error) bool) {
		if err != nil {
			yield(nil, err)
			return
		}
		// Each walk starts from the caller's parameters, so the sequence can
		// be ranged over more than once.
		q := url.Values{}
		for k, v := range params {
			q[k] = v
		}
		for {
			page, err := listPage[T](ctx, c, path, q, opts)
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
				yield(nil, fmt.Errorf("tokenim: GET %s: page has has_more but no data", path))
				return
			}
			q.Set("starting_after", idOf(page.Data[len(page.Data)-1]))
		}
	}
}
