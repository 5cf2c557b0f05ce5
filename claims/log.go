package claims

import "log/slog"

// The models hold protected health information: names, member ids,
// dates of birth, diagnoses. Their LogValue methods let a model be passed
// to slog by mistake without leaking it: they log the shape (kind,
// counts), never a value from the input.

// LogValue logs the claim's kind and counts only.
func (c *Claim) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("kind", string(c.Kind)),
		slog.Int("lines", len(c.Lines)),
		slog.Int("diagnoses", len(c.Diagnoses)),
		slog.Int("other_subscribers", len(c.OtherSubscribers)),
		slog.Bool("patient_is_subscriber", c.Patient == nil),
	)
}

// LogValue logs the remittance's counts only.
func (r *Remittance) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Int("claims", len(r.Claims)),
		slog.Int("provider_adjustments", len(r.ProviderAdjustments)),
	)
}

// LogValue logs the claim payment's counts only.
func (c *ClaimPayment) LogValue() slog.Value {
	return slog.GroupValue(slog.Int("lines", len(c.Lines)), slog.Int("adjustments", len(c.Adjustments)))
}

// LogValue logs the enrollment's counts only.
func (e *Enrollment) LogValue() slog.Value {
	return slog.GroupValue(slog.Int("members", len(e.Members)))
}

// LogValue logs the member's codes of the change, not who it is.
func (m *Member) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Bool("subscriber", m.Subscriber),
		slog.String("maintenance_type", m.MaintenanceType),
		slog.Int("coverages", len(m.Coverages)),
	)
}

// LogValue logs the transaction set id and counts only.
func (e *Eligibility) LogValue() slog.Value {
	n := len(e.Subscriber.Benefits) + len(e.Subscriber.Inquiries)
	if e.Dependent != nil {
		n += len(e.Dependent.Benefits) + len(e.Dependent.Inquiries)
	}
	return slog.GroupValue(
		slog.String("set_id", e.SetID),
		slog.Bool("dependent", e.Dependent != nil),
		slog.Int("items", n),
	)
}

// LogValue logs the party's entity code only.
func (p *Party) LogValue() slog.Value {
	return slog.GroupValue(slog.String("entity_code", p.EntityCode), slog.String("redacted", "true"))
}
