package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime/debug"
	"strings"
	"time"

	dtpb "github.com/google/fhir/go/proto/google/fhir/proto/r4/core/datatypes_go_proto"

	"github.com/tributary-health/tributary/claims"
	"github.com/tributary-health/tributary/claims/x12"
	"github.com/tributary-health/tributary/fhir"
	"github.com/tributary-health/tributary/fhir/fromx12"
	"github.com/tributary-health/tributary/pipeline"
)

func init() {
	streamConverters["x12"] = func(o convertOptions) (streamConverter, error) {
		m, _, err := o.x12Mapper()
		if err != nil {
			return nil, err
		}
		return func(r io.Reader, w io.Writer) ([]string, error) {
			defer boundHeap(r)()
			return convertX12(m, r, w)
		}, nil
	}
}

// largeInput is the input size from which boundHeap caps the heap.
const largeInput = 16 << 20

// boundHeap sets a soft memory limit of 44 MiB while a large file (over
// largeInput) converts, unless GOMEMLIMIT set one, and returns the
// function restoring the previous limit. About 20 MB of the heap are the
// FHIR and X12 tables every process holds, and conversion keeps a
// transaction set live (about 8 MB for 1,000 claims); at the default
// GOGC the heap peaks near twice that, and the resident set near 100 MB
// from a 50 MB file on. The limit trades CPU (more frequent collections:
// about 40% more CPU time) for a resident set around 75-90 MB.
func boundHeap(r io.Reader) func() {
	f, ok := r.(*os.File)
	if !ok {
		return func() {}
	}
	st, err := f.Stat()
	if err != nil || st.Size() < largeInput || debug.SetMemoryLimit(-1) != math.MaxInt64 {
		return func() {}
	}
	old := debug.SetMemoryLimit(44 << 20)
	return func() { debug.SetMemoryLimit(old) }
}

// x12Mapper builds the X12 mapper from the mapping flags: X12 times take
// --default-timezone.
func (o *options) x12Mapper() (*fromx12.Mapper, *time.Location, error) {
	loc, err := loadLocation(o.defaultTimezone)
	if err != nil {
		return nil, nil, usageError{fmt.Errorf("--default-timezone: %w", err)}
	}
	m, err := fromx12.New(fromx12.Config{Systems: fhir.Systems{AssigningAuthorities: o.assigningAuthorities}, Location: loc})
	if err != nil {
		return nil, nil, err
	}
	return m, loc, nil
}

// x12Converter is the normalizer's X12 converter.
func (o *options) x12Converter() (pipeline.X12, error) {
	m, loc, err := o.x12Mapper()
	if err != nil {
		return pipeline.X12{}, err
	}
	return pipeline.X12{Mapper: m, Location: loc}, nil
}

// convertX12 converts every transaction set read from r, one claim
// (claim payment, member) at a time, writing the resources to w as one
// Bundle of type collection as they are made, so memory is bounded by
// the largest transaction set whatever the size of the input. A
// transaction set with errors (what its 999 would reject) is reported and
// not converted; a mapping error stops its transaction set (the claims
// before it are in the Bundle); envelope errors, found at the trailers,
// are reported at the end. The returned error is a read or write failure.
func convertX12(m *fromx12.Mapper, r io.Reader, w io.Writer) ([]string, error) {
	var errs []string
	bw := &bundleWriter{w: w}
	p := x12.NewParser(r)
	// Patients and Coverages come with each claim that names them; write
	// each once per transaction set.
	written := map[string]bool{}
	for n := 1; ; n++ {
		tx, err := p.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if se, ok := errors.AsType[*x12.SyntaxError](err); ok && se.Permanent() {
				errs = append(errs, x12Text(err))
				break
			}
			return errs, err
		}
		prefix := fmt.Sprintf("transaction set %d (ST02 %s) ", n, tx.ControlNumber)
		if len(tx.Errors) > 0 {
			for _, e := range tx.Errors {
				if len(tx.Errors) > 1 && errors.Is(e, x12.ErrSegmentErrors) {
					continue // the IK5 summary of the errors that follow
				}
				errs = append(errs, prefix+x12Text(e))
			}
			continue
		}
		clear(written)
		err = m.Each(tx, func(res fromx12.Result) error {
			for _, e := range res.Entries {
				if t := fhir.TypeOf(e.Resource); t == "Patient" || t == "Coverage" {
					k := t + "/" + idOf(e.Resource)
					if written[k] {
						continue
					}
					written[k] = true
				}
				b, err := fhir.Marshal(e.Resource)
				if err != nil {
					return err
				}
				if err := bw.add(b); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			if bw.err != nil {
				return errs, bw.err
			}
			errs = append(errs, prefix+x12Text(err))
		}
	}
	for i, ic := range p.Interchanges() {
		prefix := fmt.Sprintf("interchange %d (ISA13 %s) ", i+1, ic.ControlNumber)
		for _, e := range ic.Errors {
			errs = append(errs, prefix+x12Text(e))
		}
		for _, g := range ic.Groups {
			for _, e := range g.Errors {
				errs = append(errs, prefix+"group GS06 "+g.ControlNumber+" "+x12Text(e))
			}
		}
	}
	return errs, bw.close()
}

// idOf reads the id of a resource the X12 mapper made.
func idOf(r fhir.Resource) string {
	if x, ok := r.(interface{ GetId() *dtpb.Id }); ok {
		return x.GetId().GetValue()
	}
	return ""
}

// x12Text renders an X12 input error as "LOCATION: message (where)",
// e.g. "2300/CLM05-1: required data element missing (IK403 1; segment 23,
// offset 1204)".
func x12Text(err error) string {
	var loc, where, msg string
	if e, ok := errors.AsType[*x12.Error](err); ok {
		loc = e.Location()
		// "x12: LOC (segment N, offset O): text (CODE)"
		rest := strings.TrimPrefix(strings.TrimPrefix(e.Error(), "x12: "), loc+" ")
		if i := strings.Index(rest, "): "); strings.HasPrefix(rest, "(") && i > 0 {
			where, msg = rest[1:i], rest[i+3:]
		} else {
			msg = rest
		}
		if j := strings.LastIndex(msg, " ("); j > 0 && strings.HasSuffix(msg, ")") {
			where = msg[j+2:len(msg)-1] + "; " + where
			msg = msg[:j]
		}
	} else if e, ok := errors.AsType[*claims.Error](err); ok {
		loc = e.Location()
		where = fmt.Sprintf("segment %d, offset %d", e.Position, e.Offset)
		msg = e.Err.Error()
	} else if e, ok := errors.AsType[*x12.SyntaxError](err); ok {
		loc = "ISA"
		if errors.Is(e, x12.ErrSegmentTooLong) {
			loc = ""
		}
		where = fmt.Sprintf("offset %d", e.Offset)
		msg = e.Err.Error()
	} else {
		return strings.TrimPrefix(err.Error(), "fromx12: ")
	}
	s := msg
	if where != "" {
		s += " (" + where + ")"
	}
	if loc != "" {
		s = loc + ": " + s
	}
	return s
}

// bundleWriter writes a Bundle of type collection one entry at a time,
// one entry per line.
type bundleWriter struct {
	w   io.Writer
	n   int
	err error
}

func (b *bundleWriter) write(s ...[]byte) error {
	for _, p := range s {
		if b.err == nil {
			_, b.err = b.w.Write(p)
		}
	}
	return b.err
}

var (
	bundleOpen  = []byte(`{"resourceType":"Bundle","type":"collection","entry":[` + "\n" + `{"resource":`)
	bundleNext  = []byte("},\n" + `{"resource":`)
	bundleClose = []byte("}\n]}\n")
	bundleEmpty = []byte(`{"resourceType":"Bundle","type":"collection"}` + "\n")
)

// add writes one resource's JSON as the next entry.
func (b *bundleWriter) add(resource []byte) error {
	sep := bundleNext
	if b.n == 0 {
		sep = bundleOpen
	}
	b.n++
	return b.write(sep, resource)
}

// close ends the Bundle.
func (b *bundleWriter) close() error {
	if b.n == 0 {
		return b.write(bundleEmpty)
	}
	return b.write(bundleClose)
}
