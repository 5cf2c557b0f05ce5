package x12

import "bytes"

// Delimiters are the four separators an interchange declares in its ISA
// segment: the element separator (the byte after "ISA"), the repetition
// separator (ISA-11, from version 00501 on; 0 when the interchange has
// none), the component separator (ISA-16) and the segment terminator (the
// byte after ISA-16).
type Delimiters struct {
	Element    byte
	Repetition byte // 0: repetition not used (ISA-12 before 00501)
	Component  byte
	Segment    byte
}

// DefaultDelimiters are the separators most 5010 trading partners use:
// * ^ : ~.
var DefaultDelimiters = Delimiters{Element: '*', Repetition: '^', Component: ':', Segment: '~'}

// A Segment is one X12 segment: its id and elements, numbered from 1 as
// the standard numbers them (NM1-03 is [Segment.Element](3)).
//
// A Segment returned by [Reader.Next] is a view into the reader's buffer,
// valid only until the next call; [Segment.Clone] makes a copy that owns
// its bytes. Segments in a [Transaction] own their bytes (they share one
// buffer per transaction) and stay valid.
type Segment struct {
	raw  []byte  // the segment without its terminator
	ends []int32 // ends[k]: index in raw where element k ends; element 0 is the id
	d    Delimiters

	// Offset is the byte offset of the segment's first byte in the stream.
	Offset int64
	// Position is the 1-based position of the segment in its transaction
	// set (ST is 1), as IK3-02 counts; 0 for envelope segments and for
	// segments straight from a [Reader].
	Position int
}

// ID returns the segment id, such as "NM1". Ids of the segments the guides
// know are interned, so ID does not allocate for them.
func (s Segment) ID() string {
	if len(s.ends) == 0 {
		return ""
	}
	return internID(s.raw[:s.ends[0]])
}

// IDBytes returns the segment id as a view of the segment.
func (s Segment) IDBytes() []byte {
	if len(s.ends) == 0 {
		return nil
	}
	return s.raw[:s.ends[0]]
}

// Len returns the number of elements after the id, including empty ones
// that are followed by a separator (NM1*41*2** has Len 4).
func (s Segment) Len() int {
	if len(s.ends) == 0 {
		return 0
	}
	return len(s.ends) - 1
}

// Element returns element i (1-based) with its repetitions and components
// unsplit, or nil when the segment has fewer elements.
func (s Segment) Element(i int) []byte {
	if i < 1 || i >= len(s.ends) {
		return nil
	}
	return s.raw[s.ends[i-1]+1 : s.ends[i]]
}

// Value returns element i as a string ("" when absent).
func (s Segment) Value(i int) string {
	return string(s.Element(i))
}

// Is reports whether element i equals v, without allocating.
func (s Segment) Is(i int, v string) bool {
	return string(s.Element(i)) == v
}

// Repetitions returns the number of repetitions of element i: 0 when the
// element is empty or absent, 1 when it does not repeat.
func (s Segment) Repetitions(i int) int {
	e := s.Element(i)
	if len(e) == 0 {
		return 0
	}
	if s.d.Repetition == 0 {
		return 1
	}
	return bytes.Count(e, []byte{s.d.Repetition}) + 1
}

// Repetition returns repetition r (1-based) of element i, or nil.
func (s Segment) Repetition(i, r int) []byte {
	e := s.Element(i)
	if r < 1 || e == nil {
		return nil
	}
	if s.d.Repetition == 0 {
		if r == 1 {
			return e
		}
		return nil
	}
	return nth(e, s.d.Repetition, r)
}

// Component returns component j (1-based) of the first repetition of
// element i, or nil. Component(i, 1) of a simple element is the element.
func (s Segment) Component(i, j int) []byte {
	return s.RepComponent(i, 1, j)
}

// RepComponent returns component j of repetition r of element i, or nil.
func (s Segment) RepComponent(i, r, j int) []byte {
	e := s.Repetition(i, r)
	if e == nil || j < 1 {
		return nil
	}
	return nth(e, s.d.Component, j)
}

// Components returns the number of components of the first repetition of
// element i (1 for a simple element, 0 when absent).
func (s Segment) Components(i int) int {
	e := s.Repetition(i, 1)
	if len(e) == 0 {
		return 0
	}
	return bytes.Count(e, []byte{s.d.Component}) + 1
}

// nth returns the n-th (1-based) part of b split at sep, or nil.
func nth(b []byte, sep byte, n int) []byte {
	for ; n > 1; n-- {
		k := bytes.IndexByte(b, sep)
		if k < 0 {
			return nil
		}
		b = b[k+1:]
	}
	if k := bytes.IndexByte(b, sep); k >= 0 {
		return b[:k]
	}
	return b
}

// Raw returns the segment's bytes without its terminator, as read.
func (s Segment) Raw() []byte { return s.raw }

// Delimiters returns the delimiters of the segment's interchange.
func (s Segment) Delimiters() Delimiters { return s.d }

// Clone returns a copy of s that owns its bytes.
func (s Segment) Clone() Segment {
	c := s
	c.raw = bytes.Clone(s.raw)
	c.ends = append([]int32(nil), s.ends...)
	return c
}

// AppendTo appends the segment and its terminator to dst, as read: the
// tokenizer never changes a byte, so this reproduces the input.
func (s Segment) AppendTo(dst []byte) []byte {
	dst = append(dst, s.raw...)
	return append(dst, s.d.Segment)
}

// String returns the segment id and its position, never its values (they
// may hold patient data): e.g. "CLM (position 23, offset 1204)".
func (s Segment) String() string {
	b := []byte(safeID(s))
	b = append(b, " (position "...)
	b = appendInt(b, int64(s.Position))
	b = append(b, ", offset "...)
	b = appendInt(b, s.Offset)
	b = append(b, ')')
	return string(b)
}

func appendInt(b []byte, v int64) []byte {
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	var tmp [20]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(b, tmp[i:]...)
}

// knownIDs interns the segment ids of the envelopes and guides, so that
// [Segment.ID] on the hot path does not allocate. Read only.
var knownIDs = func() map[string]string {
	m := map[string]string{}
	for _, id := range []string{
		"ISA", "IEA", "GS", "GE", "ST", "SE", "TA1", "BHT", "BGN", "BPR", "TRN", "CUR",
		"REF", "DTM", "DTP", "N1", "N2", "N3", "N4", "PER", "NM1", "HL", "PRV", "SBR",
		"PAT", "DMG", "CLM", "CL1", "CN1", "PWK", "AMT", "K3", "NTE", "CR1", "CR2", "CR3",
		"CR5", "CR6", "CR7", "CR8", "CRC", "HI", "HCP", "HSD", "OI", "MIA", "MOA", "CAS",
		"LX", "SV1", "SV2", "SV3", "SV4", "SV5", "SV6", "SV7", "TOO", "DN1", "DN2", "MEA",
		"PS1", "LIN", "CTP", "SVD", "LQ", "FRM", "TS3", "TS2", "CLP", "QTY", "SVC", "LQ",
		"RDM", "PLB", "INS", "HD", "IDC", "COB", "LUI", "EC", "ICM", "HLH", "LS", "LE",
		"ACT", "QTY", "DSB", "AAA", "EQ", "EB", "III", "MSG", "INS", "STC", "SVC", "DMG",
		"QTY", "N9", "AK1", "AK2", "AK3", "AK4", "AK5", "AK9", "IK3", "IK4", "IK5", "CTX",
		"PRV", "UM", "HCR", "MPI", "VEH", "SE",
	} {
		m[id] = id
	}
	return m
}()

func internID(b []byte) string {
	if s, ok := knownIDs[string(b)]; ok {
		return s
	}
	return string(b)
}
