package fromv2

import (
	"fmt"
	"time"

	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"

	"github.com/tributary-health/tributary/adapters/hl7v2"
)

// offset formats the zone of t as FHIR wants it: +hh:mm.
func offset(t time.Time) string {
	_, off := t.Zone()
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("%c%02d:%02d", sign, off/3600, off%3600/60)
}

// birthDate maps a PID-7 DTM to a FHIR date, keeping its precision; a
// value with a time of day also gets the patient-birthTime extension.
func birthDate(s string, loc *time.Location) (*dtpb.Date, error) {
	ts, err := hl7v2.ParseTime(s, loc)
	if err != nil {
		return nil, err
	}
	t := ts.Time
	// The date is the calendar date as written; it is stored as midnight UTC
	// so the marshaller prints exactly that date.
	d := &dtpb.Date{
		ValueUs:  time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).UnixMicro(),
		Timezone: "UTC",
	}
	switch ts.Precision {
	case hl7v2.PrecisionYear:
		d.Precision = dtpb.Date_YEAR
	case hl7v2.PrecisionMonth:
		d.Precision = dtpb.Date_MONTH
	default:
		d.Precision = dtpb.Date_DAY
	}
	if ts.Precision >= hl7v2.PrecisionHour {
		d.Extension = []*dtpb.Extension{{
			Url:   &dtpb.Uri{Value: extBirthTime},
			Value: &dtpb.Extension_ValueX{Choice: &dtpb.Extension_ValueX_DateTime{DateTime: toDateTime(ts)}},
		}}
	}
	return d, nil
}

// dateTime maps a DTM to a FHIR dateTime. FHIR forbids a time without a
// zone, so a zone-less value takes loc; a date-only value stays a date.
func dateTime(s string, loc *time.Location) (*dtpb.DateTime, error) {
	ts, err := hl7v2.ParseTime(s, loc)
	if err != nil {
		return nil, err
	}
	return toDateTime(ts), nil
}

func toDateTime(ts hl7v2.Time) *dtpb.DateTime {
	dt := &dtpb.DateTime{ValueUs: ts.Time.UnixMicro(), Timezone: offset(ts.Time)}
	switch ts.Precision {
	case hl7v2.PrecisionYear:
		dt.Precision = dtpb.DateTime_YEAR
	case hl7v2.PrecisionMonth:
		dt.Precision = dtpb.DateTime_MONTH
	case hl7v2.PrecisionDay:
		dt.Precision = dtpb.DateTime_DAY
	case hl7v2.PrecisionHour, hl7v2.PrecisionMinute, hl7v2.PrecisionSecond:
		// FHIR has no hour or minute precision: they are shown with :00.
		dt.Precision = dtpb.DateTime_SECOND
	default:
		dt.Precision = dtpb.DateTime_MILLISECOND
	}
	return dt
}
