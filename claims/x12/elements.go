package x12

import (
	"strconv"
	"strings"
)

// The element dictionary: for the segments the guides lean on, each
// element's data element reference number, type, minimum and maximum
// length and whether the 5010 guides require it wherever the segment is
// used. It is written one segment per line as
//
//	"ref TYPE min/max [R]; ..."      a simple element
//	"C023 R [ref TYPE min/max R, ...]" a composite and its components
//	"... *N"                        the element may repeat N times
//
// and ends with "+" when the segment has more elements than listed (then
// "too many data elements" is not checked). TYPE is the X12 type: ID, AN,
// N0, N2, R, DT, TM. What is checked with it is listed in the package doc.
var dictionary = map[string]string{
	"ST":  "143 ID 3/3 R; 329 AN 4/9 R; 1705 AN 1/35",
	"SE":  "96 N0 1/10 R; 329 AN 4/9 R",
	"BHT": "1005 ID 4/4 R; 353 ID 2/2 R; 127 AN 1/50; 373 DT 8/8; 337 TM 4/8; 640 ID 2/2",
	"BGN": "353 ID 2/2 R; 127 AN 1/50 R; 373 DT 8/8 R; 337 TM 4/8; 623 ID 2/2; 127 AN 1/50; 640 ID 2/2; 306 ID 1/2; 786 ID 1/2",
	"NM1": "98 ID 2/3 R; 1065 ID 1/1 R; 1035 AN 1/60; 1036 AN 1/35; 1037 AN 1/25; 1038 AN 1/10; 1039 AN 1/10; 66 ID 1/2; 67 AN 2/80; 706 ID 2/2; 98 ID 2/3; 1035 AN 1/60",
	"N1":  "98 ID 2/3 R; 93 AN 1/60; 66 ID 1/2; 67 AN 2/80; 706 ID 2/2; 98 ID 2/3",
	"N3":  "166 AN 1/55 R; 166 AN 1/55",
	"N4":  "19 AN 2/30; 156 ID 2/2; 116 ID 3/15; 26 ID 2/3; 309 ID 1/2; 310 AN 1/30; 1715 ID 3/3",
	"REF": "128 ID 2/3 R; 127 AN 1/50 R; 352 AN 1/80; C040 S [128 ID 2/3 R, 127 AN 1/50 R, 128 ID 2/3, 127 AN 1/50, 128 ID 2/3, 127 AN 1/50]",
	"PER": "366 ID 2/2 R; 93 AN 1/60; 365 ID 2/2; 364 AN 1/256; 365 ID 2/2; 364 AN 1/256; 365 ID 2/2; 364 AN 1/256; 443 AN 1/20",
	"DTP": "374 ID 3/3 R; 1250 ID 2/3 R; 1251 AN 1/35 R",
	"DTM": "374 ID 3/3 R; 373 DT 8/8; 337 TM 4/8; 623 ID 2/2; 1250 ID 2/3; 1251 AN 1/35",
	"HL":  "628 AN 1/12 R; 734 AN 1/12; 735 AN 1/2 R; 736 ID 1/1",
	"SBR": "1138 ID 1/1 R; 1069 ID 2/2; 127 AN 1/50; 93 AN 1/60; 1336 ID 1/3; 1143 ID 1/1; 1073 ID 1/1; 584 ID 1/2; 1032 ID 1/2",
	"PAT": "1069 ID 2/2; 1384 ID 2/2; 584 ID 1/2; 1220 ID 1/2; 1250 ID 2/3; 1251 AN 1/35; 355 ID 2/2; 81 R 1/10; 1073 ID 1/1",
	"DMG": "1250 ID 2/3; 1251 AN 1/35; 1068 ID 1/1; 1067 ID 1/1; C056 S [1109 ID 1/1, 1270 ID 1/3, 1271 AN 1/30] *10; 1066 ID 1/2; 26 ID 2/3; 659 ID 1/2; 380 R 1/15; 1270 ID 1/3; 1271 AN 1/30",
	"CLM": "1028 AN 1/38 R; 782 R 1/18 R; 1032 ID 1/2; 1343 ID 1/2; C023 R [1331 AN 1/2 R, 1332 ID 1/2 R, 1325 ID 1/1 R]; 1073 ID 1/1; 1359 ID 1/1; 1073 ID 1/1; 1363 ID 1/1; 1351 ID 1/1; C024 S [1362 ID 2/3 R, 1362 ID 2/3, 1362 ID 2/3, 156 ID 2/2, 26 ID 2/3]; 1366 ID 2/3; 1073 ID 1/1; 1338 ID 1/1; 1360 ID 1/1; 1029 ID 1/2; 1352 ID 1/1; 1073 ID 1/1; 1383 ID 1/2; 1514 ID 1/2",
	"LX":  "554 N0 1/6 R",
	"SV1": "C003 R [235 ID 2/2 R, 234 AN 1/48 R, 1339 AN 2/2, 1339 AN 2/2, 1339 AN 2/2, 1339 AN 2/2, 352 AN 1/80, 234 AN 1/48]; 782 R 1/18 R; 355 ID 2/2 R; 380 R 1/15 R; 1331 AN 1/2; 1365 ID 1/2; C004 S [1328 N0 1/2 R, 1328 N0 1/2, 1328 N0 1/2, 1328 N0 1/2] +",
	"SV2": "234 AN 1/48 R; C003 S [235 ID 2/2 R, 234 AN 1/48 R, 1339 AN 2/2, 1339 AN 2/2, 1339 AN 2/2, 1339 AN 2/2, 352 AN 1/80, 234 AN 1/48]; 782 R 1/18 R; 355 ID 2/2 R; 380 R 1/15 R; 1371 R 1/10; 782 R 1/18; 1345 ID 1/1; 1337 ID 1/1; 1360 ID 1/2 +",
	"SV3": "C003 R [235 ID 2/2 R, 234 AN 1/48 R, 1339 AN 2/2, 1339 AN 2/2, 1339 AN 2/2, 1339 AN 2/2, 352 AN 1/80, 234 AN 1/48]; 782 R 1/18 R +",
	"HI":  "C022 R [1270 ID 1/3 R, 1271 AN 1/30 R, 1250 ID 2/3, 1251 AN 1/35, 782 R 1/18, 380 R 1/15, 799 AN 1/30, 1271 AN 1/30, 1073 ID 1/1] +",
	"CLP": "1028 AN 1/38 R; 1029 ID 1/2 R; 782 R 1/18 R; 782 R 1/18 R; 782 R 1/18; 1032 ID 1/2 R; 127 AN 1/50; 1331 AN 1/2; 1325 ID 1/1; 1352 ID 1/1; 1354 AN 1/4; 380 R 1/15; 954 R 1/10; 1359 ID 1/1",
	"SVC": "C003 R [235 ID 2/2 R, 234 AN 1/48 R, 1339 AN 2/2, 1339 AN 2/2, 1339 AN 2/2, 1339 AN 2/2, 352 AN 1/80, 234 AN 1/48]; 782 R 1/18 R; 782 R 1/18 R; 234 AN 1/48; 380 R 1/15; C003 S [235 ID 2/2 R, 234 AN 1/48 R, 1339 AN 2/2, 1339 AN 2/2, 1339 AN 2/2, 1339 AN 2/2, 352 AN 1/80, 234 AN 1/48]; 380 R 1/15",
	"CAS": "1033 ID 1/2 R; 1034 ID 1/5 R; 782 R 1/18 R; 380 R 1/15; 1034 ID 1/5; 782 R 1/18; 380 R 1/15; 1034 ID 1/5; 782 R 1/18; 380 R 1/15; 1034 ID 1/5; 782 R 1/18; 380 R 1/15; 1034 ID 1/5; 782 R 1/18; 380 R 1/15; 1034 ID 1/5; 782 R 1/18; 380 R 1/15",
	"BPR": "305 ID 1/2 R; 782 R 1/18 R; 478 ID 1/1 R; 591 ID 3/3 R; 812 ID 1/10; 506 ID 2/2; 507 AN 3/12; 569 ID 1/3; 508 AN 1/35; 509 AN 10/10; 127 AN 1/50; 506 ID 2/2; 507 AN 3/12; 569 ID 1/3; 508 AN 1/35; 373 DT 8/8 R; 1048 ID 1/2; 506 ID 2/2; 507 AN 3/12; 569 ID 1/3; 508 AN 1/35",
	"TRN": "481 ID 1/2 R; 127 AN 1/50 R; 509 AN 10/10; 127 AN 1/50",
	"AMT": "522 ID 1/3 R; 782 R 1/18 R; 478 ID 1/1",
	"QTY": "673 ID 2/2 R; 380 R 1/15; C001 S [355 ID 2/2 R] ; 61 AN 1/30",
	"INS": "1073 ID 1/1 R; 1069 ID 2/2 R; 875 ID 3/3; 1203 ID 2/3; 1216 ID 1/1; C052 S [1218 ID 1/3 R, 1219 ID 1/1]; 584 ID 1/2; 1220 ID 1/2; 1073 ID 1/1; 1073 ID 1/1; 1250 ID 2/3; 1251 AN 1/35; 1165 ID 1/1; 19 AN 2/30; 156 ID 2/2; 26 ID 2/3; 1470 N0 1/9",
	"HD":  "875 ID 3/3 R; 1203 ID 2/3; 1205 ID 2/3; 1204 AN 1/50; 1207 ID 3/3; 609 N0 1/9; 609 N0 1/9; 1209 ID 1/3; 1073 ID 1/1; 1211 ID 2/3; 1073 ID 1/1",
	"EQ":  "1365 ID 1/2 *99; C003 S [235 ID 2/2 R, 234 AN 1/48 R, 1339 AN 2/2, 1339 AN 2/2, 1339 AN 2/2, 1339 AN 2/2, 352 AN 1/80, 234 AN 1/48]; 1207 ID 3/3; 1207 ID 3/3; C004 S [1328 N0 1/2 R, 1328 N0 1/2, 1328 N0 1/2, 1328 N0 1/2]",
	"EB":  "1390 ID 1/2 R; 1207 ID 3/3; 1365 ID 1/2 *99; 1336 ID 1/3; 1204 AN 1/50; 615 ID 1/2; 782 R 1/18; 954 R 1/10; 673 ID 2/2; 380 R 1/15; 1073 ID 1/1; 1073 ID 1/1; C003 S [235 ID 2/2 R, 234 AN 1/48 R, 1339 AN 2/2, 1339 AN 2/2, 1339 AN 2/2, 1339 AN 2/2, 352 AN 1/80, 234 AN 1/48]; C004 S [1328 N0 1/2 R, 1328 N0 1/2, 1328 N0 1/2, 1328 N0 1/2]",
	"OI":  "1032 ID 1/2; 1383 ID 1/2; 1073 ID 1/1 R; 1351 ID 1/1; 1360 ID 1/1; 1363 ID 1/1",
	"PRV": "1221 ID 1/3 R; 128 ID 2/3; 127 AN 1/50; 156 ID 2/2; C035 S [44 ID 1/2 R, 1406 ID 1/2 R, 44 ID 1/2]; 1223 ID 3/3",
	"SVD": "67 AN 2/80 R; 782 R 1/18 R; C003 S [235 ID 2/2 R, 234 AN 1/48 R, 1339 AN 2/2, 1339 AN 2/2, 1339 AN 2/2, 1339 AN 2/2, 352 AN 1/80, 234 AN 1/48]; 234 AN 1/48; 380 R 1/15 R; 554 N0 1/6",
	"NTE": "363 ID 3/3; 352 AN 1/80 R",
	"PLB": "127 AN 1/50 R; 373 DT 8/8 R; C042 R [426 ID 2/2 R, 127 AN 1/50]; 782 R 1/18 R +",
	"STC": "C043 R [1271 AN 1/30 R, 1271 AN 1/30 R, 98 ID 2/3, 1271 AN 1/30] ; 373 DT 8/8; 306 ID 1/2; 782 R 1/18; 782 R 1/18; 373 DT 8/8; 591 ID 3/3; 373 DT 8/8; 429 AN 1/16; C043 S [1271 AN 1/30 R, 1271 AN 1/30 R, 98 ID 2/3, 1271 AN 1/30]; C043 S [1271 AN 1/30 R, 1271 AN 1/30 R, 98 ID 2/3, 1271 AN 1/30]; 933 AN 1/264",
}

// elemType is an X12 simple data element type.
type elemType uint8

const (
	typeAN elemType = iota
	typeID
	typeN0
	typeN2
	typeR
	typeDT
	typeTM
)

// elemDef is one element (or component) of the dictionary.
type elemDef struct {
	ref      int
	typ      elemType
	min, max int
	required bool
	repeat   int       // maximum repetitions; 1 for a non-repeating element
	comps    []elemDef // a composite's components
}

// segDef is a parsed dictionary entry.
type segDef struct {
	elems []elemDef
	open  bool // more elements than listed may follow
}

// dict is the parsed dictionary; read only after initialization.
var dict = func() map[string]*segDef {
	m := make(map[string]*segDef, len(dictionary))
	for id, spec := range dictionary {
		d := &segDef{}
		spec = strings.TrimSpace(spec)
		if strings.HasSuffix(spec, "+") {
			d.open = true
			spec = strings.TrimSpace(strings.TrimSuffix(spec, "+"))
		}
		for _, part := range strings.Split(spec, ";") {
			d.elems = append(d.elems, parseElem(strings.TrimSpace(part), id))
		}
		m[id] = d
	}
	return m
}()

func parseElem(s, id string) elemDef {
	if strings.HasPrefix(s, "C") {
		// "C023 R [..., ...] *10"
		open, close := strings.IndexByte(s, '['), strings.LastIndexByte(s, ']')
		if open < 0 || close < open {
			panic("x12: bad composite in dictionary for " + id)
		}
		head := strings.Fields(s[:open])
		e := elemDef{required: len(head) > 1 && head[1] == "R", repeat: 1}
		for _, c := range strings.Split(s[open+1:close], ",") {
			e.comps = append(e.comps, parseElem(strings.TrimSpace(c), id))
		}
		if tail := strings.TrimSpace(s[close+1:]); strings.HasPrefix(tail, "*") {
			e.repeat, _ = strconv.Atoi(tail[1:])
		}
		return e
	}
	f := strings.Fields(s)
	if len(f) < 3 {
		panic("x12: bad element in dictionary for " + id)
	}
	e := elemDef{repeat: 1}
	e.ref, _ = strconv.Atoi(f[0])
	e.typ = map[string]elemType{"AN": typeAN, "ID": typeID, "N0": typeN0, "N2": typeN2, "R": typeR, "DT": typeDT, "TM": typeTM}[f[1]]
	mm := strings.Split(f[2], "/")
	e.min, _ = strconv.Atoi(mm[0])
	e.max, _ = strconv.Atoi(mm[1])
	for _, x := range f[3:] {
		switch {
		case x == "R":
			e.required = true
		case strings.HasPrefix(x, "*"):
			e.repeat, _ = strconv.Atoi(x[1:])
		}
	}
	return e
}

// qualifierRef returns the reference number of element i of segment id,
// or 0.
func qualifierRef(id string, i int) int {
	if d := dict[id]; d != nil && i >= 1 && i <= len(d.elems) {
		return d.elems[i-1].ref
	}
	return 0
}

// checkElements checks s against the dictionary: required elements and
// components, lengths, numeric, date and time formats, repetitions and
// components where none are allowed, the number of elements, and the
// qualifier r selects it by.
func checkElements(w *walker, s Segment, r *SegmentRule, loopID string) {
	d := dict[string(s.IDBytes())]
	if d == nil {
		return
	}
	if !d.open && s.Len() > len(d.elems) {
		w.elemErr(s, loopID, len(d.elems)+1, 0, 0, "3", ErrTooManyElements)
	}
	del := s.Delimiters()
	for i, e := range d.elems {
		v := s.Element(i + 1)
		if len(v) == 0 {
			if e.required {
				comp, ref := 0, e.ref
				if e.comps != nil {
					comp, ref = 1, e.comps[0].ref
				}
				w.elemErr(s, loopID, i+1, comp, ref, "1", ErrRequiredElement)
			}
			continue
		}
		reps := 1
		if del.Repetition != 0 {
			reps = s.Repetitions(i + 1)
		}
		if reps > e.repeat {
			w.elemErr(s, loopID, i+1, 0, e.ref, "12", ErrTooManyRepetitions)
			continue
		}
		for rp := 1; rp <= reps; rp++ {
			rv := v
			if reps > 1 {
				rv = s.Repetition(i+1, rp)
			}
			rep := 0
			if e.repeat > 1 {
				rep = rp
			}
			if e.comps == nil {
				if containsByte(rv, del.Component) {
					w.elemErr(s, loopID, i+1, 0, e.ref, "13", ErrTooManyComponents)
					continue
				}
				if code, err := checkValue(e, rv); err != nil {
					w.errs = append(w.errs, &Error{Level: LevelElement, Code: code, Loop: loopID, Segment: safeID(s), Position: s.Position,
						Element: i + 1, Repetition: rep, Ref: e.ref, Offset: s.Offset, Err: err})
				}
				continue
			}
			n := 1 + countByte(rv, del.Component)
			if n > len(e.comps) {
				w.elemErr(s, loopID, i+1, len(e.comps)+1, 0, "13", ErrTooManyComponents)
			}
			for j, c := range e.comps {
				cv := nth(rv, del.Component, j+1)
				if len(cv) == 0 {
					if c.required {
						w.errs = append(w.errs, &Error{Level: LevelElement, Code: "1", Loop: loopID, Segment: safeID(s), Position: s.Position,
							Element: i + 1, Component: j + 1, Repetition: rep, Ref: c.ref, Offset: s.Offset, Err: ErrRequiredElement})
					}
					continue
				}
				if code, err := checkValue(c, cv); err != nil {
					w.errs = append(w.errs, &Error{Level: LevelElement, Code: code, Loop: loopID, Segment: safeID(s), Position: s.Position,
						Element: i + 1, Component: j + 1, Repetition: rep, Ref: c.ref, Offset: s.Offset, Err: err})
				}
			}
		}
	}
	// DTP-03 follows the format DTP-02 names.
	if string(s.IDBytes()) == "DTP" {
		checkDTP(w, s, loopID)
	}
}

func checkDTP(w *walker, s Segment, loopID string) {
	v := s.Element(3)
	if len(v) == 0 {
		return
	}
	ok := true
	switch string(s.Element(2)) {
	case "D8":
		ok = validDate(v, false)
	case "RD8":
		ok = len(v) == 17 && v[8] == '-' && validDate(v[:8], false) && validDate(v[9:], false)
	case "DT":
		ok = len(v) == 12 && validDate(v[:8], false) && validTime(v[8:])
	}
	if !ok {
		w.elemErr(s, loopID, 3, 0, 1251, "8", ErrInvalidDate)
	}
}

// checkValue checks one simple value against its definition and returns
// the IK403 code and error of the first problem.
func checkValue(e elemDef, v []byte) (string, error) {
	n := len(v)
	switch e.typ {
	case typeN0, typeN2:
		if len(v) > 0 && v[0] == '-' {
			v = v[1:]
		}
		n = len(v)
		if n == 0 || !digits(v) {
			return "6", ErrInvalidCharacter
		}
	case typeR:
		if len(v) > 0 && v[0] == '-' {
			v = v[1:]
		}
		dots, digs := 0, 0
		for _, c := range v {
			switch {
			case c == '.':
				dots++
			case c >= '0' && c <= '9':
				digs++
			default:
				return "6", ErrInvalidCharacter
			}
		}
		if dots > 1 || digs == 0 {
			return "6", ErrInvalidCharacter
		}
		n = digs
	case typeDT:
		if !validDate(v, len(v) == 6) {
			return "8", ErrInvalidDate
		}
	case typeTM:
		if !validTime(v) {
			return "9", ErrInvalidTime
		}
	}
	if n < e.min {
		return "4", ErrTooShort
	}
	if n > e.max {
		return "5", ErrTooLong
	}
	return "", nil
}

func digits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func containsByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}

func countByte(b []byte, c byte) int {
	n := 0
	for _, x := range b {
		if x == c {
			n++
		}
	}
	return n
}
