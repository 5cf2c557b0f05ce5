package fhir

import "testing"

// The vectors were computed independently (Python hashlib + base64.b32hexencode).
// Ids are persisted in Kafka and PostgreSQL, so a change here breaks every store.
func TestIDIsStable(t *testing.T) {
	t.Parallel()
	tests := []struct{ typ, system, value, want string }{
		{"Patient", "urn:oid:2.16.840.1.113883.19.5", "12345", "t4siirpvgkp77jdoced851d6tu8csnla"},
		{"Practitioner", SystemNPI, "1234567893", "rlv7m4854nei7khsmgrmtksoc98nkr9d"},
	}
	for _, tt := range tests {
		got := ID(tt.typ, tt.system, tt.value)
		if got != tt.want {
			t.Errorf("ID(%q, %q, %q) = %q, want %q", tt.typ, tt.system, tt.value, got, tt.want)
		}
		if !ValidID(got) {
			t.Errorf("ID %q is not a valid FHIR id", got)
		}
	}
}

func TestAssigningAuthority(t *testing.T) {
	t.Parallel()
	s := Systems{AssigningAuthorities: map[string]string{"HOSP": "https://hosp.example.org/mrn"}}
	tests := []struct{ ns, uid, typ, want string }{
		{"HOSP", "2.16.840.1.113883.19.5", "ISO", "urn:oid:2.16.840.1.113883.19.5"},
		{"", "1.2.3", "", "urn:oid:1.2.3"},
		{"HOSP", "", "", "https://hosp.example.org/mrn"},
		{"", "https://x.example/ids", "URI", "https://x.example/ids"},
		{"MAIN HOSP", "", "", "urn:tributary:aa:MAIN%20HOSP"},
		{"", "LOCAL", "L", "urn:tributary:aa:LOCAL"},
		{"", "", "", ""},
		{"X", "1.2.3", "DNS", "urn:tributary:aa:X"}, // an OID-looking value of another type is not an OID
	}
	for _, tt := range tests {
		if got := s.AssigningAuthority(tt.ns, tt.uid, tt.typ); got != tt.want {
			t.Errorf("AssigningAuthority(%q, %q, %q) = %q, want %q", tt.ns, tt.uid, tt.typ, got, tt.want)
		}
	}
	if got, want := (Systems{}).PayerMember("60054"), "urn:tributary:payer:60054:member"; got != want {
		t.Errorf("PayerMember = %q, want %q", got, want)
	}
}
