package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/tributary-health/tributary/adapters/hl7v2"
	"github.com/tributary-health/tributary/fhir"
	"github.com/tributary-health/tributary/fhir/fromv2"
)

func cmdConvert(_ context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var o options
	fs := newFlagSet("convert", "convert [flags] FILE...", `Converts files to FHIR R4 with the same mappings the normalizer uses.
Each input file becomes one FHIR Bundle of type collection, written to
stdout, or to DIR/<file>.fhir.json with --out. No Kafka or database is
needed. --format hl7v2 (the default) takes one message, several, or a
batch file with FHS/BHS. --format x12 takes X12 005010 interchanges
(837, 835, 834, 270/271) and streams: a file of any size converts in
bounded memory, one entry per line, each Patient once per transaction set.

An input error is reported on stderr as FILE: LOCATION: message (for a
file of several messages the message's number is part of the location),
and the exit status is 1; the file's other messages are still converted.`, stderr)
	o.mappingFlags(fs)
	format := fs.String("format", "hl7v2", "input format: "+strings.Join(sortedFormats(), ", "))
	cdcMapping := fs.String("mapping", "", "with --format cdc: the mapping file (JSON)")
	outDir := fs.String("out", "", "write one DIR/<input name>.fhir.json per input instead of stdout")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError{fmt.Errorf("no input files")}
	}
	newConv, ok := fileConverters[*format]
	newStream, streams := streamConverters[*format]
	if !ok && !streams {
		return usageError{fmt.Errorf("format %q is not supported (%s)", *format, strings.Join(sortedFormats(), ", "))}
	}
	var (
		convert       fileConverter
		convertStream streamConverter
		err           error
	)
	if streams {
		convertStream, err = newStream(convertOptions{options: &o, mapping: *cdcMapping})
	} else {
		convert, err = newConv(convertOptions{options: &o, mapping: *cdcMapping})
	}
	if err != nil {
		return err
	}
	if *outDir != "" {
		if err := os.MkdirAll(*outDir, 0o755); err != nil {
			return err
		}
	}
	failed := 0
	for _, path := range fs.Args() {
		if convertStream != nil {
			errs, err := convertFile(convertStream, path, *outDir, stdout)
			for _, e := range errs {
				fmt.Fprintf(stderr, "%s: %s\n", path, e)
			}
			if err != nil {
				return err
			}
			if len(errs) > 0 {
				failed++
			}
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		bundle, errs := convert(b)
		for _, e := range errs {
			fmt.Fprintf(stderr, "%s: %s\n", path, e)
		}
		if len(errs) > 0 {
			failed++
		}
		out := bundle
		if *outDir != "" {
			name := filepath.Join(*outDir, strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))+".fhir.json")
			if err := os.WriteFile(name, out, 0o644); err != nil {
				return err
			}
			continue
		}
		if _, err := stdout.Write(out); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files had input errors", failed, fs.NArg())
	}
	return nil
}

// A fileConverter turns one input file into a Bundle, and returns one
// "LOCATION: message" line per input error.
type fileConverter func(data []byte) (bundle []byte, errs []string)

// convertOptions are what a format's converter may need.
type convertOptions struct {
	*options
	mapping string // --mapping
}

// fileConverters builds the converter of each --format; formats register
// themselves from their own files.
var fileConverters = map[string]func(convertOptions) (fileConverter, error){
	"hl7v2": func(o convertOptions) (fileConverter, error) {
		mcfg, err := o.mapperConfig()
		if err != nil {
			return nil, err
		}
		m, err := fromv2.New(mcfg)
		if err != nil {
			return nil, err
		}
		return func(data []byte) ([]byte, []string) { return convertHL7(m, data) }, nil
	},
}

// A streamConverter converts one input read from r, writing its Bundle
// to w as it goes, so that memory does not grow with the input. It
// returns one "LOCATION: message" line per input error, and an error
// when reading or writing failed.
type streamConverter func(r io.Reader, w io.Writer) (errs []string, err error)

// streamConverters are the formats that stream; they register themselves
// from their own files and take precedence over fileConverters.
var streamConverters = map[string]func(convertOptions) (streamConverter, error){}

// convertFile streams the file at path through conv to
// DIR/<name>.fhir.json, or to stdout when outDir is empty.
func convertFile(conv streamConverter, path, outDir string, stdout io.Writer) ([]string, error) {
	in, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	w := stdout
	var out *os.File
	if outDir != "" {
		name := filepath.Join(outDir, strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))+".fhir.json")
		if out, err = os.Create(name); err != nil {
			return nil, err
		}
		defer out.Close()
		w = out
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	errs, err := conv(in, bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil && out != nil {
		err = out.Close()
	}
	return errs, err
}

func sortedFormats() []string {
	var out []string
	for f := range fileConverters {
		out = append(out, f)
	}
	for f := range streamConverters {
		if _, ok := fileConverters[f]; !ok {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

// bundleJSON writes resources (FHIR JSON each) as a Bundle of type
// collection.
func bundleJSON(resources []json.RawMessage) ([]byte, error) {
	type entry struct {
		Resource json.RawMessage `json:"resource"`
	}
	bundle := struct {
		ResourceType string  `json:"resourceType"`
		Type         string  `json:"type"`
		Entry        []entry `json:"entry,omitempty"`
	}{ResourceType: "Bundle", Type: "collection"}
	for _, r := range resources {
		bundle.Entry = append(bundle.Entry, entry{Resource: r})
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(bundle); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// convertHL7 converts every message of one input into a Bundle of type
// collection, and returns the Bundle with one "LOCATION: message" line
// per message that failed.
func convertHL7(m *fromv2.Mapper, data []byte) ([]byte, []string) {
	var errs []string
	var resources []json.RawMessage
	file, err := hl7v2.ParseBatch(data)
	if err != nil {
		errs = append(errs, locatedText(err))
	}
	var msgs []hl7v2.Entry
	if file != nil {
		msgs = file.Messages()
	}
	for i, e := range msgs {
		prefix := ""
		if len(msgs) > 1 {
			prefix = fmt.Sprintf("message %d (offset %d) ", i+1, e.Offset)
		}
		if e.Err != nil {
			errs = append(errs, prefix+locatedText(e.Err))
			continue
		}
		res, err := m.Convert(e.Message)
		if err != nil {
			errs = append(errs, prefix+locatedText(err))
			continue
		}
		for _, x := range res.Entries {
			out, err := fhir.Marshal(x.Resource)
			if err != nil {
				errs = append(errs, prefix+"internal: "+err.Error())
				continue
			}
			resources = append(resources, out)
		}
	}
	b, err := bundleJSON(resources)
	if err != nil {
		errs = append(errs, "internal: "+err.Error())
	}
	return b, errs
}

// locatedText renders an input error as "LOCATION: message" (the
// location includes the byte offset for syntax errors).
func locatedText(err error) string {
	var pe *hl7v2.ParseError
	if errors.As(err, &pe) {
		return strings.TrimPrefix(pe.Error(), "hl7v2: ")
	}
	if he, ok := hl7v2.AsError(err); ok {
		if loc := he.Location.String(); loc != "" {
			return loc + ": " + he.Text()
		}
		return he.Text()
	}
	return err.Error()
}
