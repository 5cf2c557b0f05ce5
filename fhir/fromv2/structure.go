package fromv2

import (
	"embed"
	"encoding/csv"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// The IG's message sheets, one per message structure: which segment maps
// (PV1[Encounter], OBX[Observation], …) apply to each segment of the
// structure. They decide what the mapper does with each segment; Go code
// implements each segment map (see segmentMaps).
//
//go:embed structures/*.csv
var structureFiles embed.FS

// A structure is what the IG's sheet says for one message structure: the
// segment maps of each segment id, in sheet order.
type structure map[string][]string

func loadStructures() (map[string]structure, error) {
	files, err := fs.Glob(structureFiles, "structures/*.csv")
	if err != nil {
		return nil, err
	}
	out := map[string]structure{}
	for _, name := range files {
		f, err := structureFiles.Open(name)
		if err != nil {
			return nil, err
		}
		cr := csv.NewReader(f)
		cr.FieldsPerRecord = -1
		rows, err := cr.ReadAll()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("fromv2: message sheet %s: %w", name, err)
		}
		s := structure{}
		for _, row := range rows[min(2, len(rows)):] {
			if len(row) < 11 {
				continue
			}
			// Column 1 is the segment's path in the structure
			// (ORU_R01.PATIENT_RESULT.PATIENT.PID), column 10 its map.
			ident, segMap := strings.TrimSpace(row[1]), strings.TrimSpace(row[10])
			if segMap == "" || strings.HasPrefix(ident, "/") {
				continue
			}
			seg := ident[strings.LastIndexByte(ident, '.')+1:]
			if !contains(s[seg], segMap) {
				s[seg] = append(s[seg], segMap)
			}
		}
		out[strings.TrimSuffix(path.Base(name), ".csv")] = s
	}
	// The generic sheet, for message types the IG has none for: every map
	// any sheet gives a segment, sheets taken in name order.
	g := structure{}
	for _, name := range sortedKeys(out) {
		for seg, maps := range out[name] {
			for _, sm := range maps {
				if !contains(g[seg], sm) {
					g[seg] = append(g[seg], sm)
				}
			}
		}
	}
	out[genericSheet] = g
	return out, nil
}

// genericSheet names the union of the IG's sheets.
const genericSheet = "*"

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// eventStructures gives the message structure of each supported trigger
// event (HL7 v2.5.1 table 0354) whose MSH-9.3 may be empty, and the IG
// sheet that maps it: the IG has no sheet of its own for ADT_A03 and
// ADT_A39, so those borrow the sheet of the structure they extend.
var eventStructures = map[string]struct{ structure, sheet string }{
	"ADT^A01": {"ADT_A01", "ADT_A01"},
	"ADT^A04": {"ADT_A01", "ADT_A01"},
	"ADT^A08": {"ADT_A01", "ADT_A01"},
	"ADT^A13": {"ADT_A01", "ADT_A01"},
	"ADT^A02": {"ADT_A02", "ADT_A02"},
	"ADT^A03": {"ADT_A03", "ADT_A01"},
	"ADT^A05": {"ADT_A05", "ADT_A05"},
	"ADT^A14": {"ADT_A05", "ADT_A05"},
	"ADT^A28": {"ADT_A05", "ADT_A05"},
	"ADT^A31": {"ADT_A05", "ADT_A05"},
	"ADT^A06": {"ADT_A06", "ADT_A06"},
	"ADT^A07": {"ADT_A06", "ADT_A06"},
	"ADT^A11": {"ADT_A09", "ADT_A11"},
	"ADT^A40": {"ADT_A39", "ADT_A05"},
	"ORU^R01": {"ORU_R01", "ORU_R01"},
	"VXU^V04": {"VXU_V04", "VXU_V04"},
	"ORM^O01": {"ORM_O01", "ORM_O01"},
	"OML^O21": {"OML_O21", "OML_O21"},
	"SIU^S12": {"SIU_S12", "SIU_S12"},
	"MDM^T02": {"MDM_T02", "MDM_T02"},
}
