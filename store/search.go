package store

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/tributary-health/tributary/fhir"
	"github.com/tributary-health/tributary/fhir/search"
)

// A Page is one page of search results.
type Page struct {
	Resources []Resource // current, non-deleted versions, ordered by id
	Total     int        // matches over all pages; -1 when the query asked for no total
	// Next is the cursor of the next page, for [search.Query.Cursor]; ""
	// on the last page.
	Next string
}

// Search returns one page of the current, non-deleted resources of q.Type
// that match every clause of q, ordered by id. Paging is by keyset (the
// cursor holds the last id of the page), so following Next links neither
// repeats nor misses a resource that exists, and matches, for the whole
// walk, whatever is written meanwhile. A Count above search.MaxCount is
// lowered to it; 0 returns the total alone. The page and the total take
// one round trip. A cursor that Search did not make gives an error wrapping
// [ErrInvalidCursor].
func (s *Store) Search(ctx context.Context, q search.Query) (Page, error) {
	if !validType.MatchString(q.Type) {
		return Page{}, errors.New("store: search: resource type is not a FHIR type name")
	}
	if q.Count < 0 {
		return Page{}, fmt.Errorf("store: search %s: negative count", q.Type)
	}
	count := min(q.Count, search.MaxCount)
	var after string
	if q.Cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		if err != nil || !fhir.ValidID(string(b)) {
			return Page{}, fmt.Errorf("store: search %s: %w", q.Type, ErrInvalidCursor)
		}
		after = string(b)
	}
	where, args, err := searchWhere(q)
	if err != nil {
		return Page{}, fmt.Errorf("store: search %s: %w", q.Type, err)
	}

	page := Page{Total: -1}
	b := &pgx.Batch{}
	if count > 0 {
		// One row more than the page tells whether there is a next page.
		pargs := append(slices.Clip(args), after, count+1)
		b.Queue(fmt.Sprintf(
			"SELECT r.id, r.version_id, r.last_updated, r.content FROM tributary.resources r WHERE %s AND r.id > $%d ORDER BY r.id LIMIT $%d",
			where, len(pargs)-1, len(pargs)), pargs...).Query(func(rows pgx.Rows) error {
			r := Resource{Type: q.Type}
			var content []byte
			_, err := pgx.ForEachRow(rows, []any{&r.ID, &r.VersionID, &r.LastUpdated, &content}, func() error {
				if len(page.Resources) == count {
					page.Next = base64.RawURLEncoding.EncodeToString([]byte(page.Resources[count-1].ID))
					return nil
				}
				v := r
				v.LastUpdated = v.LastUpdated.UTC()
				var err error
				if v.JSON, err = render(v, content); err != nil {
					return err
				}
				page.Resources = append(page.Resources, v)
				return nil
			})
			return err
		})
	}
	if q.Total == search.TotalAccurate {
		b.Queue("SELECT count(*) FROM tributary.resources r WHERE "+where, args...).QueryRow(func(row pgx.Row) error {
			return row.Scan(&page.Total)
		})
	}
	if b.Len() > 0 {
		if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
			return Page{}, fmt.Errorf("store: search %s: %w", q.Type, err)
		}
	}
	return page, nil
}

// searchWhere returns the condition on resources r for q, and its
// arguments. Values are always arguments, never SQL text.
func searchWhere(q search.Query) (string, []any, error) {
	args := []any{q.Type}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	conds := []string{"r.resource_type = $1", "NOT r.deleted"}
	for _, c := range q.Clauses {
		switch {
		case c.Param.Name == search.ParamID:
			ids := make([]string, len(c.Tokens))
			for i, t := range c.Tokens {
				ids[i] = t.Code
			}
			conds = append(conds, "r.id = ANY("+arg(ids)+")")
		case c.Param.Type == search.TypeToken:
			alts := make([]string, len(c.Tokens))
			for i, t := range c.Tokens {
				switch {
				case t.AnySystem:
					alts[i] = "t.code = " + arg(t.Code)
				case t.Code == "":
					alts[i] = "t.system = " + arg(t.System)
				default:
					alts[i] = "(t.system = " + arg(t.System) + " AND t.code = " + arg(t.Code) + ")"
				}
			}
			conds = append(conds, "EXISTS (SELECT 1 FROM tributary.search_token t WHERE t.resource_type = $1 AND t.resource_id = r.id AND t.param = "+
				arg(c.Param.Name)+" AND ("+strings.Join(alts, " OR ")+"))")
		default:
			return "", nil, fmt.Errorf("parameter %q of type %s is not indexed", c.Param.Name, c.Param.Type)
		}
	}
	return strings.Join(conds, " AND "), args, nil
}
