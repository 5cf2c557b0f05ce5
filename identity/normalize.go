package identity

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// foldText folds s to what records compare: accents removed, upper-case
// ASCII letters and digits, everything else a single space. Apostrophes
// vanish rather than split, so O'BRIEN and OBRIEN agree.
func foldText(s string) string {
	var b strings.Builder
	space := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r), r == '\'', r == '’', r == '`':
			continue
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(unicode.ToUpper(r))
		default:
			// Letters NFD does not decompose (ß, Ø, Æ, Ł...) have a
			// conventional ASCII spelling; other runes separate words.
			if t, ok := asciiLetters[unicode.ToUpper(r)]; ok {
				if space && b.Len() > 0 {
					b.WriteByte(' ')
				}
				space = false
				b.WriteString(t)
				continue
			}
			space = true
		}
	}
	return b.String()
}

var asciiLetters = map[rune]string{
	'ß': "SS", 'ẞ': "SS", 'Ø': "O", 'Æ': "AE", 'Œ': "OE", 'Ł': "L", 'Đ': "D",
	'Ð': "D", 'Þ': "TH", 'Ħ': "H", 'İ': "I", 'ı': "I", 'Ŀ': "L",
}

// nameAffixes are honorifics and generational suffixes: they say
// nothing about who a person is, and feeds put them in the name parts
// inconsistently.
var nameAffixes = map[string]bool{
	"JR": true, "SR": true, "II": true, "III": true, "IV": true, "2ND": true, "3RD": true,
	"MR": true, "MRS": true, "MS": true, "MISS": true, "MX": true, "DR": true, "PROF": true,
	"REV": true, "FR": true, "SIR": true, "ESQ": true, "MD": true, "PHD": true, "DDS": true,
	"DO": true, "RN": true,
}

// nameWords normalizes a name part into its words, without affixes. If
// only affixes remain (a family name that really is DO), they are kept.
func nameWords(s string) []string {
	words := strings.Fields(foldText(s))
	var kept []string
	for _, w := range words {
		if !nameAffixes[w] {
			kept = append(kept, w)
		}
	}
	if len(kept) == 0 {
		return words
	}
	return kept
}

// normalizeName is a name part as a Record holds it.
func normalizeName(s string) string { return strings.Join(nameWords(s), " ") }

// streetWords is the USPS Publication 28 abbreviation of common street
// suffixes, directionals and unit designators. Applied to every word of
// both sides, so a street named NORTH still compares equal to itself.
var streetWords = map[string]string{
	"STREET": "ST", "STR": "ST", "AVENUE": "AVE", "AV": "AVE", "AVEN": "AVE", "ROAD": "RD",
	"DRIVE": "DR", "DRV": "DR", "LANE": "LN", "BOULEVARD": "BLVD", "BOUL": "BLVD", "COURT": "CT",
	"PLACE": "PL", "TERRACE": "TER", "CIRCLE": "CIR", "HIGHWAY": "HWY", "PARKWAY": "PKWY",
	"SQUARE": "SQ", "TRAIL": "TRL", "PIKE": "PIKE", "TURNPIKE": "TPKE", "EXPRESSWAY": "EXPY",
	"FREEWAY": "FWY", "CRESCENT": "CRES", "POINT": "PT", "MOUNT": "MT", "HEIGHTS": "HTS",
	"CENTER": "CTR", "ALLEY": "ALY", "LOOP": "LOOP", "COVE": "CV", "CROSSING": "XING",
	"NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W",
	"NORTHEAST": "NE", "NORTHWEST": "NW", "SOUTHEAST": "SE", "SOUTHWEST": "SW",
}

// unitWords introduce a secondary unit (APT 4B): the unit is dropped,
// because feeds record it inconsistently and it adds nothing to a match
// that the street and house number have not.
var unitWords = map[string]bool{
	"APT": true, "APARTMENT": true, "UNIT": true, "STE": true, "SUITE": true, "BLDG": true,
	"BUILDING": true, "FL": true, "FLOOR": true, "RM": true, "ROOM": true, "LOT": true,
	"SPC": true, "SPACE": true, "TRLR": true, "DEPT": true, "NO": true,
}

// normalizeLine normalizes an address line: folded, USPS abbreviations,
// no secondary unit. A unit word is only taken as one after the house
// number and street name (two words), so "UNIT ROAD" survives.
func normalizeLine(s string) string {
	s = strings.ReplaceAll(s, "#", " APT ")
	words := strings.Fields(foldText(s))
	var out []string
	for i := 0; i < len(words); i++ {
		w := words[i]
		if len(out) >= 2 && unitWords[w] {
			i++ // and the unit's number
			continue
		}
		if a, ok := streetWords[w]; ok {
			w = a
		}
		out = append(out, w)
	}
	return strings.Join(out, " ")
}

// digits returns the ASCII digits of s.
func digits(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// normalizeZip is the five-digit ZIP code, or "".
func normalizeZip(s string) string {
	d := digits(s)
	if len(d) < 5 {
		return ""
	}
	return d[:5]
}

// normalizePhone is the last ten digits (a NANP number without the
// country code), or "" when there are fewer.
func normalizePhone(s string) string {
	d := digits(s)
	if len(d) < 10 {
		return ""
	}
	return d[len(d)-10:]
}
