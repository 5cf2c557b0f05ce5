package identity

import "strings"

// nysiis is the New York State Identification and Intelligence System
// phonetic code (Taft, 1970), in its original form but without the
// six-letter truncation: the full key keeps long names apart. s is a
// normalized name; non-letters are ignored.
func nysiis(s string) string {
	name := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			name = append(name, c)
		}
	}
	if len(name) == 0 {
		return ""
	}
	// Step 1: the first letters.
	switch {
	case hasPrefix(name, "MAC"):
		copy(name, "MCC")
	case hasPrefix(name, "KN"):
		copy(name, "NN")
	case name[0] == 'K':
		name[0] = 'C'
	case hasPrefix(name, "PH"), hasPrefix(name, "PF"):
		copy(name, "FF")
	case hasPrefix(name, "SCH"):
		copy(name, "SSS")
	}
	// Step 2: the last letters.
	switch {
	case hasSuffix(name, "EE"), hasSuffix(name, "IE"):
		name = append(name[:len(name)-2], 'Y')
	case hasSuffix(name, "DT"), hasSuffix(name, "RT"), hasSuffix(name, "RD"), hasSuffix(name, "NT"), hasSuffix(name, "ND"):
		name = append(name[:len(name)-2], 'D')
	}
	// Steps 3-6: the first letter, then each later letter translated in
	// place (later rules look at the translated preceding letter).
	key := []byte{name[0]}
	for i := 1; i < len(name); i++ {
		next := byte(0)
		if i+1 < len(name) {
			next = name[i+1]
		}
		switch c := name[i]; {
		case c == 'E' && next == 'V':
			name[i], name[i+1] = 'A', 'F'
		case isVowel(c):
			name[i] = 'A'
		case c == 'Q':
			name[i] = 'G'
		case c == 'Z':
			name[i] = 'S'
		case c == 'M':
			name[i] = 'N'
		case c == 'K':
			if next == 'N' {
				name[i] = 'N'
			} else {
				name[i] = 'C'
			}
		case c == 'S' && next == 'C' && i+2 < len(name) && name[i+2] == 'H':
			name[i], name[i+1], name[i+2] = 'S', 'S', 'S'
		case c == 'P' && next == 'H':
			name[i], name[i+1] = 'F', 'F'
		case c == 'H' && (!isVowel(name[i-1]) || !isVowel(next)):
			name[i] = name[i-1]
		case c == 'W' && isVowel(name[i-1]):
			name[i] = name[i-1]
		}
		if name[i] != key[len(key)-1] {
			key = append(key, name[i])
		}
	}
	// Steps 7-9: the end of the key.
	if len(key) > 1 && key[len(key)-1] == 'S' {
		key = key[:len(key)-1]
	}
	if hasSuffix(key, "AY") {
		key = append(key[:len(key)-2], 'Y')
	}
	if len(key) > 1 && key[len(key)-1] == 'A' {
		key = key[:len(key)-1]
	}
	return string(key)
}

func isVowel(c byte) bool { return c == 'A' || c == 'E' || c == 'I' || c == 'O' || c == 'U' }

func hasPrefix(b []byte, p string) bool { return len(b) >= len(p) && string(b[:len(p)]) == p }

func hasSuffix(b []byte, s string) bool { return len(b) >= len(s) && string(b[len(b)-len(s):]) == s }

// soundex is American Soundex (as the US National Archives use it: H
// and W do not separate letters of the same code). Coarser than NYSIIS,
// it is used only to build blocking keys that survive a typo late in a
// name.
func soundex(s string) string {
	const codes = "01230120022455012623010202" // A..Z
	var out []byte
	var last byte
	for i := 0; i < len(s) && len(out) < 4; i++ {
		c := s[i]
		if c < 'A' || c > 'Z' {
			continue
		}
		code := codes[c-'A']
		if len(out) == 0 {
			out = append(out, c)
			last = code
			continue
		}
		switch {
		case c == 'H' || c == 'W':
			// Transparent: the letters around them are adjacent.
		case code == '0':
			last = 0 // a vowel separates equal codes
		case code != last:
			out = append(out, code)
			last = code
		}
	}
	if len(out) == 0 {
		return ""
	}
	return string(out) + strings.Repeat("0", 4-len(out))
}

// jaroWinkler is the Jaro–Winkler similarity of a and b (Winkler, 1990):
// the Jaro similarity raised for a common prefix of up to four letters
// with scaling factor 0.1, applied only when Jaro is above 0.7 as in
// Winkler's original. It is symmetric: the arguments are ordered first,
// since the greedy match of the Jaro step is not.
func jaroWinkler(a, b string) float64 {
	// Jaro is quadratic; no real name or street needs more than this, and
	// a garbage field must not stall resolution.
	const longest = 64
	a, b = a[:min(len(a), longest)], b[:min(len(b), longest)]
	if a > b {
		a, b = b, a
	}
	j := jaro(a, b)
	if j <= 0.7 {
		return j
	}
	l := 0
	for l < 4 && l < len(a) && l < len(b) && a[l] == b[l] {
		l++
	}
	return j + float64(l)*0.1*(1-j)
}

func jaro(a, b string) float64 {
	if a == b {
		return 1
	}
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	window := max(len(a), len(b))/2 - 1
	window = max(window, 0)
	am := make([]bool, len(a))
	bm := make([]bool, len(b))
	matches := 0
	for i := range len(a) {
		lo, hi := max(0, i-window), min(len(b), i+window+1)
		for j := lo; j < hi; j++ {
			if !bm[j] && a[i] == b[j] {
				am[i], bm[j] = true, true
				matches++
				break
			}
		}
	}
	if matches == 0 {
		return 0
	}
	transpositions, j := 0, 0
	for i := range len(a) {
		if !am[i] {
			continue
		}
		for !bm[j] {
			j++
		}
		if a[i] != b[j] {
			transpositions++
		}
		j++
	}
	m := float64(matches)
	return (m/float64(len(a)) + m/float64(len(b)) + (m-float64(transpositions)/2)/m) / 3
}
