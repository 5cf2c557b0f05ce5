package pipeline

import (
	"errors"
	"strconv"

	"github.com/tributary-health/tributary/event"
	"github.com/tributary-health/tributary/stream"
)

// The stages that write dead letters (header dlq-stage).
const (
	StageIngest      = "ingest"
	StageNormalize   = "normalize"
	StageMaterialize = "materialize"
)

var errUnsupportedFormat = permanentError{errors.New("pipeline: no converter for this format"), "unsupported-format", ""}

// permanentError is a failure that retrying cannot cure, with its
// machine-readable code and location for the dead-letter headers.
type permanentError struct {
	err      error
	code     string
	location string
}

func (e permanentError) Error() string    { return e.err.Error() }
func (e permanentError) Unwrap() error    { return e.err }
func (e permanentError) Permanent() bool  { return true }
func (e permanentError) Code() string     { return e.code }
func (e permanentError) Location() string { return e.location }

// Errors describe themselves to the dead-letter topic through these
// behaviours, whichever package they come from.
type (
	permanenter interface {
		error
		Permanent() bool
	}
	coder interface {
		error
		Code() string
	}
	locator interface {
		error
		Location() string
	}
)

func permanent(err error) bool {
	if p, ok := errors.AsType[permanenter](err); ok {
		return p.Permanent()
	}
	return knownPermanent(err)
}

func errorCode(err error) string {
	if c, ok := errors.AsType[coder](err); ok {
		return c.Code()
	}
	if c := knownCode(err); c != "" {
		return c
	}
	return "error"
}

func errorLocation(err error) string {
	if l, ok := errors.AsType[locator](err); ok {
		return l.Location()
	}
	return knownLocation(err)
}

// deadLetter returns the dead-letter record for in: the original key, value
// and headers, plus why. The reason is the error's text, which by this
// project's rule names places, never values.
func deadLetter(t event.Topics, in stream.Record, stage string, err error) stream.Record {
	out := stream.Record{
		Topic:   t.DLQ(),
		Key:     in.Key,
		Value:   in.Value,
		Headers: append([]stream.Header(nil), in.Headers...),
	}
	out.SetHeader(event.HeaderDLQStage, stage)
	out.SetHeader(event.HeaderDLQCode, errorCode(err))
	if loc := errorLocation(err); loc != "" {
		out.SetHeader(event.HeaderDLQLocation, loc)
	}
	out.SetHeader(event.HeaderDLQReason, err.Error())
	out.SetHeader(event.HeaderDLQAttempt, "1")
	out.SetHeader(event.HeaderDLQTopic, in.Topic)
	out.SetHeader(event.HeaderDLQOffset, strconv.FormatInt(in.Offset, 10)+"@"+strconv.Itoa(int(in.Partition)))
	return out
}
