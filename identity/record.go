package identity

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	cpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/codes_go_proto"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	ppb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/patient_go_proto"

	"github.com/tributary-health/tributary/fhir"
)

// FromPatient extracts a Patient's [Record]: its identifiers, the
// official (else usual, else first) name, a birth date known to the
// day, sex, the first line and ZIP code of its home (else first)
// address, its first phone and e-mail, and the Patients it replaces or
// is replaced by. Identifiers and Same are sorted, so the Record (and
// its [Record.Hash]) do not depend on the order a feed lists them in.
func FromPatient(p *ppb.Patient) Record {
	r := Record{PatientID: p.GetId().GetValue()}
	for _, id := range p.GetIdentifier() {
		sys, val := strings.TrimSpace(id.GetSystem().GetValue()), strings.TrimSpace(id.GetValue().GetValue())
		if sys == fhir.SystemSSN {
			val = digits(val)
		}
		if sys != "" && val != "" {
			r.Identifiers = append(r.Identifiers, Identifier{System: sys, Value: val})
		}
	}
	slices.SortFunc(r.Identifiers, func(a, b Identifier) int {
		return cmp.Or(cmp.Compare(a.System, b.System), cmp.Compare(a.Value, b.Value))
	})
	r.Identifiers = slices.Compact(r.Identifiers)

	if n := chooseName(p.GetName()); n != nil {
		r.Family = normalizeName(n.GetFamily().GetValue())
		for _, g := range n.GetGiven() {
			r.Given = append(r.Given, nameWords(g.GetValue())...)
		}
	}
	r.BirthDate = dayDate(p.GetBirthDate())
	switch p.GetGender().GetValue() {
	case cpb.AdministrativeGenderCode_MALE:
		r.Sex = "M"
	case cpb.AdministrativeGenderCode_FEMALE:
		r.Sex = "F"
	case cpb.AdministrativeGenderCode_OTHER:
		r.Sex = "O"
	}
	if a := chooseAddress(p.GetAddress()); a != nil {
		if l := a.GetLine(); len(l) > 0 {
			r.Line = normalizeLine(l[0].GetValue())
		}
		r.Zip = normalizeZip(a.GetPostalCode().GetValue())
	}
	for _, t := range p.GetTelecom() {
		v := t.GetValue().GetValue()
		switch t.GetSystem().GetValue() {
		case cpb.ContactPointSystemCode_PHONE:
			if r.Phone == "" {
				r.Phone = normalizePhone(v)
			}
		case cpb.ContactPointSystemCode_EMAIL:
			if r.Email == "" {
				r.Email = strings.ToLower(strings.TrimSpace(v))
			}
		}
	}
	for _, l := range p.GetLink() {
		switch l.GetType().GetValue() {
		case cpb.LinkTypeCode_REPLACES, cpb.LinkTypeCode_REPLACED_BY:
			if id := patientRef(l.GetOther()); id != "" && id != r.PatientID {
				r.Same = append(r.Same, id)
			}
		}
	}
	slices.Sort(r.Same)
	r.Same = slices.Compact(r.Same)
	return r
}

// chooseName prefers the official name, then the usual one, then one
// without a use, then any but an old, maiden, nickname or anonymous one.
func chooseName(names []*dtpb.HumanName) *dtpb.HumanName {
	rank := func(n *dtpb.HumanName) int {
		switch n.GetUse().GetValue() {
		case cpb.NameUseCode_OFFICIAL:
			return 0
		case cpb.NameUseCode_USUAL:
			return 1
		case cpb.NameUseCode_INVALID_UNINITIALIZED:
			return 2
		case cpb.NameUseCode_TEMP:
			return 3
		default:
			return 4
		}
	}
	var best *dtpb.HumanName
	for _, n := range names {
		if n.GetFamily().GetValue() == "" && len(n.GetGiven()) == 0 {
			continue
		}
		if best == nil || rank(n) < rank(best) {
			best = n
		}
	}
	return best
}

// chooseAddress prefers the first home address, then the first not
// marked old.
func chooseAddress(addrs []*dtpb.Address) *dtpb.Address {
	var other *dtpb.Address
	for _, a := range addrs {
		switch a.GetUse().GetValue() {
		case cpb.AddressUseCode_HOME:
			return a
		case cpb.AddressUseCode_OLD:
		default:
			if other == nil {
				other = a
			}
		}
	}
	return other
}

// dayDate formats a date known to the day as YYYY-MM-DD, in the zone the
// date was recorded in; "" otherwise.
func dayDate(d *dtpb.Date) string {
	if d == nil || d.GetPrecision() != dtpb.Date_DAY {
		return ""
	}
	return time.UnixMicro(d.GetValueUs()).In(zone(d.GetTimezone())).Format(time.DateOnly)
}

// zone resolves a FHIR proto timezone: an IANA name, Z/UTC, or ±hh:mm.
func zone(tz string) *time.Location {
	switch tz {
	case "", "Z", "UTC":
		return time.UTC
	}
	if len(tz) == 6 && (tz[0] == '+' || tz[0] == '-') && tz[3] == ':' {
		if t, err := time.Parse("-07:00", tz); err == nil {
			_, off := t.Zone()
			return time.FixedZone(tz, off)
		}
	}
	if loc, err := time.LoadLocation(tz); err == nil {
		return loc
	}
	return time.UTC
}

// patientRef returns the id of a reference to a Patient, relative
// (Patient/<id>) or typed; "" for anything else.
func patientRef(ref *dtpb.Reference) string {
	if id := ref.GetPatientId().GetValue(); id != "" {
		return id
	}
	id, ok := strings.CutPrefix(ref.GetUri().GetValue(), "Patient/")
	if !ok || strings.Contains(id, "/") {
		return ""
	}
	return id
}

// Hash identifies the record's content: the hex SHA-256 of a canonical,
// length-prefixed encoding of every field. Equal records, and only they
// (barring collisions), have equal hashes; the encoding must never
// change, since hashes are stored.
func (r Record) Hash() string {
	h := sha256.New()
	var n [8]byte
	str := func(s string) {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	count := func(c int) {
		binary.BigEndian.PutUint64(n[:], uint64(c))
		h.Write(n[:])
	}
	str("identity.Record/1")
	str(r.PatientID)
	count(len(r.Identifiers))
	for _, id := range r.Identifiers {
		str(id.System)
		str(id.Value)
	}
	count(len(r.Given))
	for _, g := range r.Given {
		str(g)
	}
	for _, s := range []string{r.Family, r.BirthDate, r.Sex, r.Line, r.Zip, r.Phone, r.Email} {
		str(s)
	}
	count(len(r.Same))
	for _, s := range r.Same {
		str(s)
	}
	return hex.EncodeToString(h.Sum(nil))
}
