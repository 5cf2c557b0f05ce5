package fromv2

import (
	"embed"
	"encoding/csv"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
)

//go:embed conceptmaps/*.csv
var conceptMapFiles embed.FS

// A concept is the FHIR side of one row of an IG concept map.
type concept struct {
	Code, Display, System string
}

// A conceptMap maps a v2 table's codes to FHIR concepts; codes the IG maps
// to nothing are absent.
type conceptMap map[string]concept

// vocabulary holds every concept map of the IG, read from its CSV files
// and keyed by the map's name as the segment sheets cite it
// ("AdministrativeSex", "PatientClass[EncounterClass]").
type vocabulary struct {
	maps map[string]conceptMap
	// The maps the Patient mapping reads on every message, resolved once.
	sex, nameUse, telecomUse, telecomSystem, addressUse, addressType, identifierType conceptMap
}

func loadVocabulary() (*vocabulary, error) {
	v := &vocabulary{maps: map[string]conceptMap{}}
	files, err := fs.Glob(conceptMapFiles, "conceptmaps/*.csv")
	if err != nil {
		return nil, err
	}
	for _, name := range files {
		f, err := conceptMapFiles.Open(name)
		if err != nil {
			return nil, fmt.Errorf("fromv2: concept map %s: %w", name, err)
		}
		m, err := readConceptMap(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("fromv2: concept map %s: %w", name, err)
		}
		v.maps[strings.TrimSuffix(path.Base(name), ".csv")] = m
	}
	for name, dst := range map[string]*conceptMap{
		"AdministrativeSex":              &v.sex,
		"NameType":                       &v.nameUse,
		"TelecommunicationUseCode":       &v.telecomUse,
		"TelecommunicationEquipmentType": &v.telecomSystem,
		"AddressType[Use]":               &v.addressUse,
		"AddressType[Type]":              &v.addressType,
		"IdentifierType":                 &v.identifierType,
	} {
		m, ok := v.maps[name]
		if !ok {
			return nil, fmt.Errorf("fromv2: concept map %s missing", name)
		}
		*dst = m
	}
	return v, nil
}

// lookup maps code through the named concept map. A map name the
// vocabulary lacks is a programming error caught by the tests.
func (v *vocabulary) lookup(name, code string) (concept, bool) {
	c, ok := v.maps[name][code]
	return c, ok
}

// readConceptMap reads an IG concept map sheet: two header rows, then
// v2 code in column 0, FHIR code in column 6, display in column 8 (some
// sheets use 7) and FHIR system in column 9.
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
		if len(row) < 7 {
			continue
		}
		// Some sheets stop before the system column; cell reads past a
		// row's end are empty.
		cell := func(i int) string {
			if i < len(row) {
				return strings.TrimSpace(row[i])
			}
			return ""
		}
		code, fcode, fsys := cell(0), cell(6), cell(9)
		if code == "" || fcode == "" {
			continue
		}
		display := cell(8)
		if display == "" {
			display = cell(7)
		}
		if _, dup := m[code]; dup {
			// Conditional rows (the same code under other conditions)
			// follow the unconditional one; the first wins.
			continue
		}
		m[code] = concept{Code: fcode, Display: display, System: fsys}
	}
	return m, nil
}
