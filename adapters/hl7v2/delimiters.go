package hl7v2

// Delimiters are a message's separators and escape character, declared by
// MSH-1 (the field separator) and MSH-2 (the encoding characters). Each
// message declares its own; [DefaultDelimiters] are the customary ones.
type Delimiters struct {
	Field        byte // MSH-1, usually '|'
	Component    byte // usually '^'
	Repetition   byte // usually '~'
	Escape       byte // usually '\'
	Subcomponent byte // usually '&'
	Truncation   byte // v2.7+, usually '#'; 0 when MSH-2 has four characters
}

// DefaultDelimiters returns |^~\& without a truncation character.
func DefaultDelimiters() Delimiters {
	return Delimiters{Field: '|', Component: '^', Repetition: '~', Escape: '\\', Subcomponent: '&'}
}

// EncodingCharacters returns MSH-2: the component separator, repetition
// separator, escape character, subcomponent separator and, if set, the
// truncation character.
func (d Delimiters) EncodingCharacters() string {
	if d.Truncation != 0 {
		return string([]byte{d.Component, d.Repetition, d.Escape, d.Subcomponent, d.Truncation})
	}
	return string([]byte{d.Component, d.Repetition, d.Escape, d.Subcomponent})
}

// Valid reports whether the delimiters can be used: each a printable ASCII
// character that is neither a letter, a digit nor a space, and all
// different.
func (d Delimiters) Valid() bool {
	cs := [...]byte{d.Field, d.Component, d.Repetition, d.Escape, d.Subcomponent, d.Truncation}
	n := len(cs)
	if d.Truncation == 0 {
		n--
	}
	for i := 0; i < n; i++ {
		if !delimiterChar(cs[i]) {
			return false
		}
		for j := 0; j < i; j++ {
			if cs[i] == cs[j] {
				return false
			}
		}
	}
	return true
}

// delimiterChar reports whether c may serve as a delimiter.
func delimiterChar(c byte) bool {
	return c > ' ' && c < 0x7f &&
		!(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z')
}

// delimitersFrom reads MSH-1 and MSH-2. It accepts four or five encoding
// characters and one malformation seen in the wild, a doubled escape
// character ("^~\\&", from a string literal written out unescaped), which
// it reads as "^~\&" and reports as recovered.
func delimitersFrom(field byte, enc string) (d Delimiters, recovered, ok bool) {
	d.Field = field
	switch len(enc) {
	case 4, 5:
		d.Component, d.Repetition, d.Escape, d.Subcomponent = enc[0], enc[1], enc[2], enc[3]
		if len(enc) == 5 {
			d.Truncation = enc[4]
		}
	default:
		return Delimiters{}, false, false
	}
	if d.Valid() {
		return d, false, true
	}
	if len(enc) == 5 && enc[2] == enc[3] {
		d = Delimiters{Field: field, Component: enc[0], Repetition: enc[1], Escape: enc[2], Subcomponent: enc[4]}
		if d.Valid() {
			return d, true, true
		}
	}
	return Delimiters{}, false, false
}
