package identity

import (
	"slices"
	"strings"
)

// Keys returns the record's keys, sorted and without duplicates; the
// index finds candidates by them ([Tx.Candidates]).
//
// Identifier keys, "id:" + system + "|" + value, are one per strong
// identifier (placeholder SSNs are not). Blocking keys group records
// that may be one person, each built to survive a different error:
//
//	b1: NYSIIS(family) | birth date          given-name changes, nicknames
//	b2: birth date | ZIP                     surname changes and typos
//	b3: phone
//	b4: Soundex(given) Soundex(family) | birth year      day or month typos
//	b5: NYSIIS(family) | year | the smaller and larger of day and month:
//	    a day/month transposition keeps it
//	b6: e-mail
//	b7: Soundex(given) Soundex(family) | month-day       year typos
//	b8: NYSIIS(given) | birth date           surname changes at marriage
//	b9: Soundex(given) Soundex(family) | ZIP            no birth date
func (m *Matcher) Keys(r Record) []string {
	var keys []string
	for _, id := range r.Identifiers {
		if strong(id) {
			keys = append(keys, "id:"+id.System+"|"+id.Value)
		}
	}
	family := nysiis(strings.ReplaceAll(r.Family, " ", ""))
	var given, names string
	if len(r.Given) > 0 {
		given = nysiis(r.Given[0])
		names = soundex(r.Given[0]) + soundex(strings.ReplaceAll(r.Family, " ", ""))
	}
	date := r.BirthDate
	if len(date) != 10 {
		date = ""
	}
	if family != "" && date != "" {
		keys = append(keys, "b1:"+family+"|"+date)
		lo, hi := min(date[5:7], date[8:10]), max(date[5:7], date[8:10])
		keys = append(keys, "b5:"+family+"|"+date[:4]+"|"+lo+"|"+hi)
	}
	if date != "" && r.Zip != "" {
		keys = append(keys, "b2:"+date+"|"+r.Zip)
	}
	if r.Phone != "" {
		keys = append(keys, "b3:"+r.Phone)
	}
	if len(names) == 8 && date != "" {
		keys = append(keys, "b4:"+names+"|"+date[:4])
		keys = append(keys, "b7:"+names+"|"+date[5:])
	}
	if r.Email != "" {
		keys = append(keys, "b6:"+r.Email)
	}
	if given != "" && date != "" {
		keys = append(keys, "b8:"+given+"|"+date)
	}
	if len(names) == 8 && r.Zip != "" {
		keys = append(keys, "b9:"+names+"|"+r.Zip)
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}
