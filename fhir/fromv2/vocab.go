package fromv2

import (
	"embed"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
)

//go:embed conceptmaps/*.csv
var conceptMapFiles embed.FS

// A concept is the FHIR side of one row of an IG concept map.
type concept struct {
	Code   string
	System string
}

// A conceptMap maps a v2 table's codes to FHIR concepts; codes the IG maps
// to nothing are absent.
type conceptMap map[string]concept

// vocabulary holds every concept map the mapper uses, read from the IG's
// CSV files.
type vocabulary struct {
	sex, nameUse, telecomUse, telecomSystem, addressUse, addressType, identifierType conceptMap
}

func loadVocabulary() (*vocabulary, error) {
	v := &vocabulary{}
	for name, dst := range map[string]*conceptMap{
		"AdministrativeSex":              &v.sex,
		"NameType":                       &v.nameUse,
		"TelecommunicationUseCode":       &v.telecomUse,
		"TelecommunicationEquipmentType": &v.telecomSystem,
		"AddressType[Use]":               &v.addressUse,
		"AddressType[Type]":              &v.addressType,
		"IdentifierType":                 &v.identifierType,
	} {
		f, err := conceptMapFiles.Open("conceptmaps/" + name + ".csv")
		if err != nil {
			return nil, fmt.Errorf("fromv2: concept map %s: %w", name, err)
		}
		m, err := readConceptMap(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("fromv2: concept map %s: %w", name, err)
		}
		*dst = m
	}
	return v, nil
}

// readConceptMap reads an IG concept map sheet: two header rows, then
// v2 code in column 0, FHIR code in column 6 and FHIR system in column 9.
func readConceptMap(r io.Reader) (conceptMap, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) < 2 {
		return nil, fmt.Errorf("no rows")
	}
	m := conceptMap{}
	for _, row := range rows[2:] {
		if len(row) < 10 {
			continue
		}
		code, fcode, fsys := strings.TrimSpace(row[0]), strings.TrimSpace(row[6]), strings.TrimSpace(row[9])
		if code == "" || fcode == "" {
			continue
		}
		m[code] = concept{Code: fcode, System: fsys}
	}
	return m, nil
}
