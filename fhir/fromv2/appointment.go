package fromv2

import (
	"math"
	"strconv"
	"strings"
	"time"

	cpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/codes_go_proto"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	apb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/appointment_go_proto"

	"github.com/tributary-health/tributary/adapters/hl7v2"
	"github.com/tributary-health/tributary/fhir"
)

// SIU^S12: SCH[Appointment] makes the Appointment (its id from SCH-1, else
// SCH-2), PID[Appointment] adds the patient, the AIS, AIG, AIL and AIP
// maps the service and the other participants, NTE[Appointment-Comment]
// the comments.

// The units of durations and offsets (SCH-10, AIS-6, AIS-8 and the like)
// and the filler status of AIG and AIL are read too, but the IG's sheets
// give them no row of their own: a segment that values them is also kept
// verbatim.
func init() {
	register("SCH[Appointment]", (*conv).sch, 1, 2, 7, 8, 9, 11, 12, 16, 20, 25, 26, 27)
	register("PID[Appointment]", (*conv).pidAppointment, 2, 3, 4)
	register("AIS[Appointment]", (*conv).ais, 1, 3, 4, 5, 7, 10)
	register("AIG[Appointment]", (*conv).aig, 1, 3, 4, 8, 9, 11)
	register("AIL[Appointment]", (*conv).ail, 1, 3, 6, 7, 9)
	register("AIP[Appointment]", (*conv).aip, 1, 3, 4, 6, 7, 9, 12)
	register("NTE[Appointment-Comment]", (*conv).appointmentComment, 1, 3, 4, 5, 6, 9)
}

const (
	extAppointmentNote    = "http://hl7.org/fhir/5.0/StructureDefinition/extension-Appointment.note"
	systemProvenanceAgent = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
	tableFillerStatus     = "0278"
	systemAppointmentType = "HL70277"
)

// sch maps SCH[Appointment].
func (c *conv) sch(sch *hl7v2.Segment) error {
	a := &apb.Appointment{Status: &apb.Appointment_StatusCode{Value: eventStatus[c.event]}}
	if a.Status.Value == 0 {
		a.Status.Value = cpb.AppointmentStatusCode_BOOKED
	}
	placer, filler := c.eiIdentifier(sch.Field(1).Rep(1)), c.eiIdentifier(sch.Field(2).Rep(1))
	switch {
	case placer != nil:
		a.Id = &dtpb.Id{Value: fhir.ID("Appointment", placer.GetSystem().GetValue(), placer.GetValue().GetValue())}
	case filler != nil:
		a.Id = &dtpb.Id{Value: fhir.ID("Appointment", filler.GetSystem().GetValue(), filler.GetValue().GetValue())}
	default:
		return fieldError("SCH", 2, hl7v2.CodeRequiredFieldMissing, "neither placer nor filler appointment id")
	}
	if placer != nil {
		a.Identifier = append(a.Identifier, typedIdentifier(placer, "PLAC"))
	}
	if filler != nil {
		a.Identifier = append(a.Identifier, typedIdentifier(filler, "FILL"))
	}
	// SCH-7 is the reason, or (in HL70277) the type; SCH-8 the type.
	if rep := sch.Field(7).Rep(1); strings.EqualFold(value(rep.Comp(3).Value()), systemAppointmentType) {
		a.AppointmentType = c.codeableConcept(rep, "AppointmentTypeCodes")
	} else if cc := c.codeableConcept(rep, "AppointmentReasonCodes"); cc != nil {
		a.ReasonCode = append(a.ReasonCode, cc)
	}
	if cc := c.codeableConcept(sch.Field(8).Rep(1), "AppointmentTypeCodes"); cc != nil && a.AppointmentType == nil {
		a.AppointmentType = cc
	}
	if s := value(sch.Get(9)); s != "" {
		min, ok := minutes(s, value(sch.Field(10).Comp(1).Value()))
		if !ok {
			return fieldError("SCH", 9, hl7v2.CodeDataType, "appointment duration is not a number")
		}
		a.MinutesDuration = &dtpb.PositiveInt{Value: min}
	}
	// SCH-11, TQ[Appointment]: start and end.
	tq := sch.Field(11).Rep(1)
	for i, dst := range []**dtpb.Instant{&a.Start, &a.End} {
		if s := value(tq.Comp(4 + i).Sub(1)); s != "" {
			in, err := c.instantAt(s, hl7v2.Location{Segment: "SCH", Field: 11, Component: 4 + i})
			if err != nil {
				return err
			}
			*dst = in
		}
	}
	for _, p := range []struct {
		field int
		typ   *dtpb.CodeableConcept
	}{
		// The IG's codes for the contacts are placeholders ("#placer
		// contact#"): the role is text.
		{12, &dtpb.CodeableConcept{Text: str("placer contact")}},
		{16, &dtpb.CodeableConcept{Text: str("filler contact")}},
		{20, &dtpb.CodeableConcept{Coding: []*dtpb.Coding{{System: &dtpb.Uri{Value: systemProvenanceAgent}, Code: &dtpb.Code{Value: "enterer"}}}}},
	} {
		if r := c.practitioner(sch.Field(p.field).Rep(1)); r != nil {
			a.Participant = append(a.Participant, &apb.Appointment_Participant{
				Type: []*dtpb.CodeableConcept{p.typ}, Actor: r,
				Status: &apb.Appointment_Participant_StatusCode{Value: cpb.ParticipationStatusCode_ACCEPTED},
			})
		}
	}
	c.appointmentStatus(a, sch.Field(25).Rep(1))
	for i, f := range []int{26, 27} {
		if id := typedIdentifier(c.eiIdentifier(sch.Field(f).Rep(1)), []string{"PLAC", "FILL"}[i]); id != nil {
			a.BasedOn = append(a.BasedOn, &dtpb.Reference{Type: &dtpb.Uri{Value: "ServiceRequest"}, Identifier: id})
		}
	}
	a = c.add(a, true).(*apb.Appointment)
	c.order.appt = a
	c.order.apptNote = nil
	c.setPrimary(a)
	c.last = a
	return nil
}

// eventStatus is the Appointment status a scheduling event implies when
// SCH-25 gives none: a booking (S12) is booked; the other SIU events reach
// these maps through the generic sheet.
var eventStatus = map[string]cpb.AppointmentStatusCode_Value{
	"SIU^S12": cpb.AppointmentStatusCode_BOOKED,
	"SIU^S15": cpb.AppointmentStatusCode_CANCELLED,
	"SIU^S17": cpb.AppointmentStatusCode_ENTERED_IN_ERROR,
	"SIU^S26": cpb.AppointmentStatusCode_NOSHOW,
}

// appointmentStatus maps a filler status code (FillerStatusCodes
// [Appointment]). A code the IG maps to nothing (Blocked, Overbook,
// Discontinued) keeps the S12's "booked", the code beside it.
func (c *conv) appointmentStatus(a *apb.Appointment, rep hl7v2.Repetition) {
	code := value(rep.Comp(1).Value())
	if code == "" {
		return
	}
	con, ok := c.m.vocab.lookup("FillerStatusCodes[Appointment]", code)
	if !ok {
		for k, v := range c.m.vocab.maps["FillerStatusCodes[Appointment]"] {
			if strings.EqualFold(k, code) {
				con, ok = v, true
			}
		}
	}
	if v, known := enumOf(cpb.AppointmentStatusCode_Value_value, con.Code); ok && known {
		a.Status.Value = cpb.AppointmentStatusCode_Value(v)
		a.Status.Extension = nil
		return
	}
	a.Status.Extension = []*dtpb.Extension{alternateCode(tableFillerStatus, code)}
}

// participantStatus maps a resource's filler status code to the
// participant's status R4 requires: booked, started or complete resources
// have accepted, pending and waitlisted ones are tentative, cancelled,
// deleted, blocked and no-show ones declined; none is accepted (the
// resource is in a booking notification).
func participantStatus(code string) *apb.Appointment_Participant_StatusCode {
	v := cpb.ParticipationStatusCode_NEEDS_ACTION
	switch strings.ToLower(code) {
	case "", "booked", "started", "complete", "overbook":
		v = cpb.ParticipationStatusCode_ACCEPTED
	case "pending", "waitlist":
		v = cpb.ParticipationStatusCode_TENTATIVE
	case "cancelled", "deleted", "discontinued", "blocked", "noshow":
		v = cpb.ParticipationStatusCode_DECLINED
	}
	return &apb.Appointment_Participant_StatusCode{Value: v}
}

// minutes converts a duration and its units (ISO+/ANSI codes: s, min, h,
// d; minutes when none) to whole minutes, at least one.
func minutes(num, units string) (uint32, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || f < 0 {
		return 0, false
	}
	switch strings.ToLower(units) {
	case "s", "sec", "second", "seconds":
		f /= 60
	case "h", "hr", "hour", "hours":
		f *= 60
	case "d", "day", "days":
		f *= 24 * 60
	}
	m := math.Round(f)
	if m < 1 {
		m = 1
	}
	if m > math.MaxInt32 {
		return 0, false
	}
	return uint32(m), true
}

// appointment returns the message's Appointment, or a located error when
// a resource segment comes before its SCH.
func (c *conv) appointment(seg *hl7v2.Segment) (*apb.Appointment, error) {
	if c.order.appt == nil {
		if c.structure != "SIU_S12" {
			return nil, errDecline
		}
		return nil, &hl7v2.Error{Location: hl7v2.Location{Segment: "SCH"}, Code: hl7v2.CodeSegmentSequence, Message: seg.ID + " segment before the SCH segment"}
	}
	c.setPrimary(c.order.appt)
	c.last = c.order.appt
	return c.order.appt, nil
}

// pidAppointment maps PID[Appointment]: the patient takes part. The
// Appointment, made before the PID, is the patient's.
func (c *conv) pidAppointment(*hl7v2.Segment) error {
	a := c.order.appt
	if a == nil || c.patient == nil {
		return nil
	}
	a.Participant = append([]*apb.Appointment_Participant{{
		Actor:  refTo(c.patient),
		Status: &apb.Appointment_Participant_StatusCode{Value: cpb.ParticipationStatusCode_ACCEPTED},
	}}, a.Participant...)
	if i, ok := c.index["Appointment/"+a.GetId().GetValue()]; ok {
		c.entries[i].Patient = c.patientID
	}
	return nil
}

// resourcePeriod maps a resource's start (field start), offset, and
// duration with units: the participant's period. The start offset (AIS-5
// and the like) counts from the appointment's start when the resource
// has no start of its own.
func (c *conv) resourcePeriod(seg *hl7v2.Segment, start, offset, offsetUnits, dur, durUnits int) (*dtpb.Period, error) {
	s, err := c.fieldTime(seg, start)
	if err != nil {
		return nil, err
	}
	if s == nil && value(seg.Get(offset)) != "" && c.order.appt.GetStart() != nil {
		m, ok := minutes(value(seg.Get(offset)), value(seg.Field(offsetUnits).Comp(1).Value()))
		if !ok {
			return nil, fieldError(seg.ID, offset, hl7v2.CodeDataType, "start offset is not a number")
		}
		st := c.order.appt.GetStart()
		s = &dtpb.DateTime{ValueUs: st.ValueUs + int64(m)*int64(time.Minute/time.Microsecond), Timezone: st.Timezone, Precision: dtpb.DateTime_SECOND}
	}
	if s == nil {
		return nil, nil
	}
	p := &dtpb.Period{Start: s}
	if d := value(seg.Get(dur)); d != "" {
		m, ok := minutes(d, value(seg.Field(durUnits).Comp(1).Value()))
		if !ok {
			return nil, fieldError(seg.ID, dur, hl7v2.CodeDataType, "duration is not a number")
		}
		p.End = &dtpb.DateTime{ValueUs: s.ValueUs + int64(m)*int64(time.Minute/time.Microsecond), Timezone: s.Timezone, Precision: dtpb.DateTime_SECOND}
	}
	if c.order.appt.Start == nil {
		// An appointment without SCH-11 takes its times from its resources.
		c.order.appt.Start = &dtpb.Instant{ValueUs: p.Start.ValueUs, Timezone: p.Start.Timezone, Precision: dtpb.Instant_SECOND}
		if p.End != nil {
			c.order.appt.End = &dtpb.Instant{ValueUs: p.End.ValueUs, Timezone: p.End.Timezone, Precision: dtpb.Instant_SECOND}
		}
	}
	return p, nil
}

// ais maps AIS[Appointment]: the service, and the status when SCH-25
// gave none. Its times (which R4 would put on a participant, but AIS names
// no actor, and a participant needs one or a type) set the appointment's
// start and end when SCH-11 did not.
func (c *conv) ais(ais *hl7v2.Segment) error {
	a, err := c.appointment(ais)
	if err != nil {
		return err
	}
	if cc := c.codeableConcept(ais.Field(3).Rep(1), ""); cc != nil {
		a.ServiceType = append(a.ServiceType, cc)
	}
	if _, err := c.resourcePeriod(ais, 4, 5, 6, 7, 8); err != nil {
		return err
	}
	if value(c.msg.Segment("SCH").Field(25).Comp(1).Value()) == "" {
		c.appointmentStatus(a, ais.Field(10).Rep(1))
	}
	return nil
}

// aig maps AIG[Appointment]: a general resource (equipment) taking part,
// named by its identifier (CWE[Identifier]).
func (c *conv) aig(aig *hl7v2.Segment) error {
	a, err := c.appointment(aig)
	if err != nil {
		return err
	}
	p := &apb.Appointment_Participant{Status: participantStatus(value(aig.Field(14).Comp(1).Value()))}
	if rep := aig.Field(3).Rep(1); value(rep.Comp(1).Value()) != "" {
		id := &dtpb.Identifier{Value: str(value(rep.Comp(1).Value())), System: &dtpb.Uri{Value: c.sender}}
		if sys := codingSystem(value(rep.Comp(3).Value())); sys != "" {
			id.System = &dtpb.Uri{Value: sys}
		}
		p.Actor = &dtpb.Reference{Identifier: id}
		if d := value(rep.Comp(2).Value()); d != "" {
			p.Actor.Display = str(d)
		}
	}
	if cc := c.codeableConcept(aig.Field(4).Rep(1), ""); cc != nil {
		p.Type = append(p.Type, cc)
	}
	if p.Period, err = c.resourcePeriod(aig, 8, 9, 10, 11, 12); err != nil {
		return err
	}
	if p.Actor != nil || len(p.Type) > 0 {
		a.Participant = append(a.Participant, p)
	}
	return nil
}

// ail maps AIL[Appointment]: a location taking part.
func (c *conv) ail(ail *hl7v2.Segment) error {
	a, err := c.appointment(ail)
	if err != nil {
		return err
	}
	p := &apb.Appointment_Participant{Actor: c.location(ail.Field(3).Rep(1)), Status: participantStatus(value(ail.Field(12).Comp(1).Value()))}
	if p.Period, err = c.resourcePeriod(ail, 6, 7, 8, 9, 10); err != nil {
		return err
	}
	if p.Actor != nil {
		a.Participant = append(a.Participant, p)
	}
	return nil
}

// aip maps AIP[Appointment]: a person taking part, in a role (AIP-4).
func (c *conv) aip(aip *hl7v2.Segment) error {
	a, err := c.appointment(aip)
	if err != nil {
		return err
	}
	p := &apb.Appointment_Participant{Actor: c.practitioner(aip.Field(3).Rep(1)), Status: participantStatus(value(aip.Field(12).Comp(1).Value()))}
	if cc := c.codeableConcept(aip.Field(4).Rep(1), ""); cc != nil {
		p.Type = append(p.Type, cc)
	}
	if p.Period, err = c.resourcePeriod(aip, 6, 7, 8, 9, 10); err != nil {
		return err
	}
	if p.Actor != nil || len(p.Type) > 0 {
		a.Participant = append(a.Participant, p)
	}
	return nil
}

// appointmentComment maps NTE[Appointment-Comment]: every NTE of the
// message is a line of the Appointment's one note (the R5 Appointment.note
// extension), as the IG asks.
func (c *conv) appointmentComment(nte *hl7v2.Segment) error {
	if c.order.noted == nte {
		return nil
	}
	c.order.noted = nte
	if c.order.appt == nil {
		return c.noteOn(nte)
	}
	return c.apptNote(nte)
}

// apptNote appends nte's comment to the Appointment's note.
func (c *conv) apptNote(nte *hl7v2.Segment) error {
	a := c.order.appt
	c.setPrimary(a)
	n, err := c.annotation(nte)
	if err != nil {
		return err
	}
	if n == nil {
		c.primary = nil
		c.keepEmptyNote(nte)
		return nil
	}
	if cc := c.codeableConcept(nte.Field(9).Rep(1), ""); cc != nil {
		n.Extension = append(n.Extension, ccExtension(extAlternateCodes, cc))
	}
	if c.order.apptNote == nil {
		c.order.apptNote = n
		a.Extension = append(a.Extension, &dtpb.Extension{Url: &dtpb.Uri{Value: extAppointmentNote}, Value: &dtpb.Extension_ValueX{Choice: &dtpb.Extension_ValueX_Annotation{Annotation: n}}})
		return nil
	}
	prev := c.order.apptNote
	prev.Text.Value += "\n" + n.Text.GetValue()
	if prev.Author == nil {
		prev.Author = n.Author
	}
	if prev.Time == nil {
		prev.Time = n.Time
	}
	prev.Extension = append(prev.Extension, n.Extension...)
	return nil
}
