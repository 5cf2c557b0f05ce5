package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/tributary-health/tributary/adapters/hl7v2"
	"github.com/tributary-health/tributary/fhir"
	"github.com/tributary-health/tributary/fhir/fromv2"
)

func cmdConvert(_ context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var o options
	fs := newFlagSet("convert", "convert [flags] FILE...", `Converts HL7 v2 files (one message each) to FHIR R4 with the same mapping
the normalizer uses, and writes one FHIR Bundle (type collection) to stdout.
No Kafka or database is needed. A message that cannot be converted is
reported on stderr with its location, and the exit status is 1.`, stderr)
	o.mappingFlags(fs)
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError{fmt.Errorf("no input files")}
	}
	mcfg, err := o.mapperConfig()
	if err != nil {
		return err
	}
	m, err := fromv2.New(mcfg)
	if err != nil {
		return err
	}
	type entry struct {
		FullURL  string          `json:"fullUrl"`
		Resource json.RawMessage `json:"resource"`
	}
	bundle := struct {
		ResourceType string  `json:"resourceType"`
		Type         string  `json:"type"`
		Entry        []entry `json:"entry,omitempty"`
	}{ResourceType: "Bundle", Type: "collection"}
	failed := 0
	for _, path := range fs.Args() {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		msg, err := hl7v2.Parse(b)
		if err == nil {
			var res fromv2.Result
			res, err = m.Convert(msg)
			for _, r := range res.Resources {
				out, merr := fhir.Marshal(r)
				if merr != nil {
					return merr
				}
				bundle.Entry = append(bundle.Entry, entry{FullURL: fhir.TypeOf(r) + "/" + idOf(out), Resource: out})
			}
		}
		if err != nil {
			failed++
			fmt.Fprintf(stderr, "%s: %v\n", path, err)
		}
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(bundle); err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files could not be converted", failed, fs.NArg())
	}
	return nil
}

func idOf(resource []byte) string {
	var v struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(resource, &v)
	return v.ID
}
