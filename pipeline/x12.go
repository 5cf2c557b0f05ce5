package pipeline

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strconv"
	"time"

	"github.com/tributary-health/tributary/claims"
	"github.com/tributary-health/tributary/claims/x12"
	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/fhir/fromx12"
)

// X12 converts X12 envelopes with a [fromx12.Mapper]. An envelope's
// payload is one interchange (ISA to IEA), as adapters/x12 stores it.
//
// What converts follows what the sender was told by the interchange's
// acknowledgments, so that a claim the sender must correct and resend
// never reaches fhir.v1:
//
//   - an interchange the TA1 rejects (an envelope error: control numbers,
//     counts, a bad ISA; or the intake's ta105 attribute, as for a
//     duplicate interchange) converts to nothing: its error is permanent,
//     so the envelope goes to the dead-letter topic;
//   - otherwise each transaction set the 999 accepts (no errors in it or
//     its functional group) converts; one it rejects, or whose mapping
//     fails (an amount with more than two decimals, a claim without
//     CLM01), does not, and [Conversion.Rejected] names the first such
//     problem, so the envelope also goes to the dead-letter topic.
//
// Errors are permanent and located: the dead letter's code is
// "x12.<acknowledgment element>.<code>" for what the acknowledgments
// report ("x12.TA105.001", "x12.AK905.5", "x12.IK304.3", "x12.IK403.8"),
// "x12.mapping.<problem>" for what the mapping cannot represent
// ("x12.mapping.precision", "x12.mapping.missing-identifier"), and
// "x12.syntax" for input that cannot be split into segments; its
// location is X12 notation ("2300/CLM05-1", "IEA01", "ISA").
//
// SourceTime is the first converted transaction set's BHT-04/BHT-05
// (BGN-03/BGN-04 for an 834), else its functional group's GS-04/GS-05,
// in Location. X12 is safe for concurrent use.
type X12 struct {
	Mapper *fromx12.Mapper
	// Location is the zone of X12 dates and times for SourceTime; it
	// should be the mapper's [fromx12.Config.Location]. Nil means UTC.
	Location *time.Location
}

// Convert parses the envelope's interchange and maps every transaction
// set its acknowledgments accept; see [X12] for errors.
func (x X12) Convert(ctx context.Context, env event.Envelope) (Conversion, error) {
	p := x12.NewParser(bytes.NewReader(env.Payload))
	var txs []*x12.Transaction
	for {
		tx, err := p.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return Conversion{}, x12Permanent(err)
		}
		txs = append(txs, tx)
	}
	ics := p.Interchanges()
	if len(ics) == 0 {
		return Conversion{}, permanentError{errors.New("pipeline: x12 envelope holds no interchange"), "x12.syntax", "ISA"}
	}
	for _, ic := range ics {
		if len(ic.Errors) > 0 {
			return Conversion{}, x12Permanent(ic.Errors[0])
		}
	}
	if note := env.Attrs["ta105"]; note != "" {
		// Intake rejected an interchange sound in itself: a duplicate.
		return Conversion{}, permanentError{errors.New("pipeline: x12 interchange rejected at intake (TA105 " + note + ")"), "x12.TA105." + note, "ISA13"}
	}
	if err := ctx.Err(); err != nil {
		return Conversion{}, err
	}
	var (
		c        Conversion
		rejected []error
	)
	for _, tx := range txs {
		if err := rejection(tx); err != nil {
			rejected = append(rejected, err)
			continue
		}
		res, err := x.Mapper.Convert(tx)
		if err != nil {
			rejected = append(rejected, x12Permanent(err))
			continue
		}
		if c.SourceTime.IsZero() {
			c.SourceTime = x.sourceTime(tx)
		}
		for _, e := range res.Entries {
			c.Resources = append(c.Resources, Converted{Resource: e.Resource, Patient: e.Patient})
		}
	}
	if len(rejected) > 0 {
		err := rejected[0]
		if len(rejected) > 1 {
			err = permanentError{x12More{err, len(rejected) - 1}, errorCode(err), errorLocation(err)}
		}
		if len(c.Resources) == 0 {
			return Conversion{}, err
		}
		c.Rejected = err
	}
	return c, nil
}

// MappingVersion returns [fromx12.MappingVersion]; see [Versioned].
func (x X12) MappingVersion() string { return fromx12.MappingVersion }

// rejection returns the error that makes the 999 reject tx, or nil: its
// group's first error, else its own first error past the IK5 summary.
func rejection(tx *x12.Transaction) error {
	if tx.Group != nil && len(tx.Group.Errors) > 0 {
		return x12Permanent(tx.Group.Errors[0])
	}
	if len(tx.Errors) == 0 {
		return nil
	}
	// "One or more segments in error" (IK502 5) comes first and says
	// nothing of where: report the segment or element error after it.
	for _, e := range tx.Errors {
		if !errors.Is(e, x12.ErrSegmentErrors) {
			return x12Permanent(e)
		}
	}
	return x12Permanent(tx.Errors[0])
}

// sourceTime reads BHT-04/05 (BGN-03/04), else GS-04/05.
func (x X12) sourceTime(tx *x12.Transaction) time.Time {
	loc := x.Location
	if loc == nil {
		loc = time.UTC
	}
	for i, s := range tx.Segments {
		if i > 3 {
			break
		}
		switch s.ID() {
		case "BHT":
			if t, ok := x12Time(s.Value(4), s.Value(5), loc); ok {
				return t
			}
		case "BGN":
			if t, ok := x12Time(s.Value(3), s.Value(4), loc); ok {
				return t
			}
		}
	}
	if g := tx.Group; g != nil {
		if t, ok := x12Time(g.Date, g.Time, loc); ok {
			return t
		}
	}
	return time.Time{}
}

// x12Time parses a CCYYMMDD date and an HHMM[SS[D..]] time (which may be
// empty).
func x12Time(date, clock string, loc *time.Location) (time.Time, bool) {
	if len(date) != 8 {
		return time.Time{}, false
	}
	layout, v := "20060102", date
	switch {
	case len(clock) >= 6:
		layout, v = "20060102150405", date+clock[:6]
	case len(clock) == 4:
		layout, v = "200601021504", date+clock
	}
	t, err := time.ParseInLocation(layout, v, loc)
	return t, err == nil
}

// x12More tells how many more problems the envelope had.
type x12More struct {
	err  error
	more int
}

func (e x12More) Error() string { return e.err.Error() + " (and " + strconv.Itoa(e.more) + " more)" }
func (e x12More) Unwrap() error { return e.err }

// x12Permanent classifies an error of claims/x12, claims or fromx12 for
// the dead-letter headers (see [X12]); other errors are returned as they
// are (retried).
func x12Permanent(err error) error {
	if err == nil {
		return nil
	}
	if e, ok := errors.AsType[*x12.Error](err); ok {
		return permanentError{err, "x12." + ackElement(e.Level) + "." + e.Code, e.Location()}
	}
	if e, ok := errors.AsType[*x12.SyntaxError](err); ok {
		if !e.Permanent() {
			return err
		}
		loc := ""
		if !errors.Is(e, x12.ErrSegmentTooLong) {
			loc = "ISA"
		}
		return permanentError{err, "x12.syntax", loc}
	}
	if e, ok := errors.AsType[*claims.Error](err); ok {
		return permanentError{err, "x12.mapping." + mappingProblem(e.Err), e.Location()}
	}
	if errors.Is(err, fromx12.ErrUnsupported) || errors.Is(err, claims.ErrTransaction) {
		return permanentError{err, "x12.mapping.unsupported", "ST"}
	}
	return err
}

// ackElement names the acknowledgment element that reports errors of
// level l.
func ackElement(l x12.Level) string {
	switch l {
	case x12.LevelInterchange:
		return "TA105"
	case x12.LevelGroup:
		return "AK905"
	case x12.LevelTransaction:
		return "IK502"
	case x12.LevelSegment:
		return "IK304"
	}
	return "IK403"
}

// mappingProblem names the sentinel of a [*claims.Error].
func mappingProblem(err error) string {
	for _, p := range []struct {
		err  error
		name string
	}{
		{fromx12.ErrMissingIdentifier, "missing-identifier"},
		{claims.ErrAmount, "amount"},
		{claims.ErrPrecision, "precision"},
		{claims.ErrDecimal, "decimal"},
		{claims.ErrDate, "date"},
		{claims.ErrDateFormat, "date-format"},
		{claims.ErrPointer, "pointer"},
		{claims.ErrTransaction, "unsupported"},
	} {
		if errors.Is(err, p.err) {
			return p.name
		}
	}
	return "value"
}
