package fromv2

import (
	"strings"

	cpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/codes_go_proto"
	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"
	docpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/resources/document_reference_go_proto"

	"github.com/tributary-health/tributary/adapters/hl7v2"
	"github.com/tributary-health/tributary/fhir"
)

// MDM^T02: TXA[DocumentReference] makes the DocumentReference (its id
// from TXA-12, the unique document number), OBX[DocumentReference] and
// NTE[DocumentReference] its content.

func init() {
	register("TXA[DocumentReference]", (*conv).txa, 1, 2, 6, 9, 10, 12, 16, 17, 18, 19, 25)
	register("OBX[DocumentReference]", (*conv).obxDocument, 1, 2, 5)
	register("NTE[DocumentReference]", (*conv).documentNote, 1, 3, 9)
}

// Content types of the document's text. The IG gives FT "text/hl7v2"
// (the text keeps v2 formatting markup) and TX "application/text", which
// is no registered MIME type: TX is text/plain here.
const (
	contentFT = "text/hl7v2"
	contentTX = "text/plain"
)

// A docText is a text content of the document being built: its lines,
// one per OBX-5 repetition, and the attachment holding them.
type docText struct {
	contentType string
	lines       []string
	att         *dtpb.Attachment
}

// txa maps TXA[DocumentReference].
func (c *conv) txa(txa *hl7v2.Segment) error {
	sub, err := c.subject("TXA", false)
	if err != nil {
		return err
	}
	master := c.eiIdentifier(txa.Field(12).Rep(1))
	if master == nil {
		return fieldError("TXA", 12, hl7v2.CodeRequiredFieldMissing, "unique document number missing")
	}
	hasContent := false
	for s := c.next(txa, "OBX", "TXA"); s != nil; s = c.next(s, "OBX", "TXA") {
		if !s.Field(5).Empty() {
			hasContent = true
			break
		}
	}
	if !hasContent {
		if c.structure != "MDM_T02" {
			return errDecline // a notification without content (MDM^T01)
		}
		return &hl7v2.Error{Location: hl7v2.Location{Segment: "OBX"}, Code: hl7v2.CodeSegmentSequence, Message: "document without content: no OBX-5 after the TXA"}
	}
	d := &docpb.DocumentReference{
		Id:               &dtpb.Id{Value: fhir.ID("DocumentReference", master.GetSystem().GetValue(), master.GetValue().GetValue())},
		MasterIdentifier: master,
		Status:           &docpb.DocumentReference_StatusCode{Value: cpb.DocumentReferenceStatusCode_CURRENT},
		Subject:          sub,
	}
	// TXA-19 availability: AV (and none) is current. The IG keeps CA, OB
	// and UN only as alternate codes; R4 needs a status, so obsolete is
	// superseded and canceled entered-in-error, unavailable stays current.
	switch s := strings.ToUpper(value(txa.Get(19))); s {
	case "", "AV":
	case "OB", "CA", "UN":
		switch s {
		case "OB":
			d.Status.Value = cpb.DocumentReferenceStatusCode_SUPERSEDED
		case "CA":
			d.Status.Value = cpb.DocumentReferenceStatusCode_ENTERED_IN_ERROR
		}
		d.Status.Extension = append(d.Status.Extension, alternateCode("0275", s))
	default:
		return fieldError("TXA", 19, hl7v2.CodeTableValueNotFound, "document availability status is not in table 0275")
	}
	d.Type = c.codeableConcept(txa.Field(2).Rep(1), "")
	if s := value(txa.Field(6).Comp(1).Value()); s != "" {
		in, err := c.instantAt(s, hl7v2.Location{Segment: "TXA", Field: 6})
		if err != nil {
			return err
		}
		d.Date = in
	}
	for _, rep := range txa.Field(9) {
		if r := c.practitioner(rep); r != nil {
			d.Author = append(d.Author, r)
		}
	}
	d.Authenticator = c.practitioner(txa.Field(10).Rep(1))
	if s := value(txa.Get(16)); s != "" {
		d.Identifier = append(d.Identifier, &dtpb.Identifier{System: &dtpb.Uri{Value: c.sender}, Value: str(s)})
	}
	// TXA-17, completion status (table 0271), to the composition status
	// R4 binds docStatus to: authenticated documents are final, the rest
	// preliminary. The IG copies the v2 code, which R4 does not allow.
	switch s := strings.ToUpper(value(txa.Get(17))); s {
	case "":
	case "AU", "LA":
		d.DocStatus = &docpb.DocumentReference_DocStatusCode{Value: cpb.CompositionStatusCode_FINAL}
	case "DI", "DO", "IN", "IP", "PA":
		d.DocStatus = &docpb.DocumentReference_DocStatusCode{Value: cpb.CompositionStatusCode_PRELIMINARY}
	default:
		return fieldError("TXA", 17, hl7v2.CodeTableValueNotFound, "document completion status is not in table 0271")
	}
	if d.DocStatus != nil {
		d.DocStatus.Extension = append(d.DocStatus.Extension, alternateCode("0271", strings.ToUpper(value(txa.Get(17)))))
	}
	for _, rep := range txa.Field(18) {
		if cc := c.codedValue(value(rep.Value()), "DocumentConfidentialityStatus", "0272"); cc != nil {
			d.SecurityLabel = append(d.SecurityLabel, cc)
		}
	}
	if s := value(txa.Get(25)); s != "" {
		d.Description = str(s)
	}
	ctx := &docpb.DocumentReference_Context{}
	if c.encounter != nil {
		ctx.Encounter = append(ctx.Encounter, refTo(c.encounter))
	}
	if c.order.request != nil {
		ctx.Related = append(ctx.Related, refTo(c.order.request))
	}
	if len(ctx.Encounter) > 0 || len(ctx.Related) > 0 {
		d.Context = ctx
	}
	d = c.add(d, true).(*docpb.DocumentReference)
	c.order.doc = d
	c.order.text = nil
	c.setPrimary(d)
	c.last = d
	return nil
}

// obxDocument maps OBX[DocumentReference]: TX and FT lines (one per OBX-5
// repetition, in message order) become the text of one content per type,
// base64 in attachment.data; ED and RP each add a content.
func (c *conv) obxDocument(obx *hl7v2.Segment) error {
	d := c.order.doc
	if d == nil {
		if c.structure == "MDM_T02" {
			return &hl7v2.Error{Location: hl7v2.Location{Segment: "TXA"}, Code: hl7v2.CodeSegmentSequence, Message: "OBX before the TXA"}
		}
		// Not a document's OBX (the sheets of other messages map it to an
		// Observation).
		return c.obx(obx)
	}
	c.setPrimary(d)
	c.last = d
	typ := strings.ToUpper(value(obx.Get(2)))
	for i, rep := range obx.Field(5) {
		switch typ {
		case "ED":
			at := func(comp int) hl7v2.Location {
				return hl7v2.Location{Segment: "OBX", Field: 5, Repetition: i + 1, Component: comp}
			}
			a, ok, err := c.encapsulated(rep, at)
			if err != nil {
				return err
			}
			if ok {
				d.Content = append(d.Content, &docpb.DocumentReference_Content{Attachment: a})
				continue
			}
			c.documentLine(contentTX, c.repText(rep))
		case "RP":
			a := &dtpb.Attachment{}
			if u := value(rep.Comp(1).Value()); u != "" {
				a.Url = &dtpb.Url{Value: u}
			}
			if ct := mimeType(value(rep.Comp(3).Value()), value(rep.Comp(4).Value())); ct != "" {
				a.ContentType = &dtpb.Attachment_ContentTypeCode{Value: ct}
			}
			d.Content = append(d.Content, &docpb.DocumentReference_Content{Attachment: a})
		case "FT":
			c.documentLine(contentFT, c.repText(rep))
		default:
			// TX, and text in any other type (ST, a CWE sent as text): lines.
			c.documentLine(contentTX, c.repText(rep))
		}
	}
	return nil
}

// documentLine appends a line to the document's text content of type ct.
func (c *conv) documentLine(ct, line string) {
	var t *docText
	for i := range c.order.text {
		if c.order.text[i].contentType == ct {
			t = &c.order.text[i]
		}
	}
	if t == nil {
		a := &dtpb.Attachment{ContentType: &dtpb.Attachment_ContentTypeCode{Value: ct}}
		c.order.doc.Content = append(c.order.doc.Content, &docpb.DocumentReference_Content{Attachment: a})
		c.order.text = append(c.order.text, docText{contentType: ct, att: a})
		t = &c.order.text[len(c.order.text)-1]
	}
	t.lines = append(t.lines, value(line))
	t.att.Data = &dtpb.Base64Binary{Value: []byte(strings.Join(t.lines, "\n"))}
}

// documentNote maps NTE[DocumentReference]: the comment joins the
// document's formatted text (the IG's content with text/hl7v2). An NTE
// already mapped by the MDM sheet's other NTE map is skipped.
func (c *conv) documentNote(nte *hl7v2.Segment) error {
	if c.order.noted == nte {
		return nil
	}
	c.order.noted = nte
	if c.order.doc == nil {
		return c.noteOn(nte)
	}
	c.docNote(nte)
	return nil
}

// docNote appends the comment of nte to the document's formatted text.
func (c *conv) docNote(nte *hl7v2.Segment) {
	c.setPrimary(c.order.doc)
	// The content holds the comment only: author, time and type (which
	// the MDM sheet's other NTE map claims) stay with the segment.
	c.keepOn(c.order.doc, nte, func(f int) bool { return f >= 4 && f <= 6 })
	for _, rep := range nte.Field(3) {
		c.documentLine(contentFT, c.repText(rep))
	}
	// NTE-9, a coded comment: its text, then code-text-system (the IG's
	// assignment).
	for _, rep := range nte.Field(9) {
		if t := value(rep.Comp(9).Value()); t != "" {
			c.documentLine(contentFT, t)
		}
		if code := strings.Join(nonEmpty(value(rep.Comp(1).Value()), value(rep.Comp(2).Value()), value(rep.Comp(3).Value())), "-"); code != "" {
			c.documentLine(contentFT, code)
		}
	}
}
