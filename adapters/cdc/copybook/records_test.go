package copybook

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func readAll(t *testing.T, data []byte, cfg ReaderConfig) ([]string, error) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, string(rec))
	}
}

func TestReader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  ReaderConfig
		data string
		want []string
		err  error
	}{
		{"fixed", ReaderConfig{Format: Fixed, Length: 2}, "abcdef", []string{"ab", "cd", "ef"}, nil},
		{"fixed truncated", ReaderConfig{Format: Fixed, Length: 4}, "abcdef", []string{"abcd"}, ErrTruncated},
		{"V standard", ReaderConfig{Format: Variable}, "\x00\x07\x00\x00abc\x00\x05\x00\x00d", []string{"abc", "d"}, nil},
		{"V little-endian", ReaderConfig{Format: Variable, RDW: RDWLittleEndian}, "\x00\x00\x03\x00abc\x00\x00\x01\x00d", []string{"abc", "d"}, nil},
		{"V spanned", ReaderConfig{Format: Variable}, "\x00\x07\x01\x00abc", nil, ErrRecordLen},
		{"V too short", ReaderConfig{Format: Variable}, "\x00\x03\x00\x00abc", nil, ErrRecordLen},
		{"V truncated", ReaderConfig{Format: Variable}, "\x00\x09\x00\x00abc", nil, ErrTruncated},
		{"VB", ReaderConfig{Format: VariableBlocked},
			"\x00\x0f\x00\x00" + "\x00\x06\x00\x00ab" + "\x00\x05\x00\x00c" +
				"\x00\x0a\x00\x00" + "\x00\x06\x00\x00de", []string{"ab", "c", "de"}, nil},
		{"VB record over block", ReaderConfig{Format: VariableBlocked}, "\x00\x0a\x00\x00\x00\x09\x00\x00abcde", nil, ErrBlockLen},
		{"VB extended BDW", ReaderConfig{Format: VariableBlocked}, "\x80\x00\x00\x0a\x00\x06\x00\x00xy", []string{"xy"}, nil},
	}
	for _, tc := range tests {
		got, err := readAll(t, []byte(tc.data), tc.cfg)
		if !errors.Is(err, tc.err) {
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.err)
		}
		if len(got) != len(tc.want) {
			t.Errorf("%s: records %q, want %q", tc.name, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: records %q, want %q", tc.name, got, tc.want)
			}
		}
		var de *DecodeError
		if err != nil && (!errors.As(err, &de) || de.Record != len(got)+1) {
			t.Errorf("%s: %v is not located at record %d", tc.name, err, len(got)+1)
		}
	}
}
