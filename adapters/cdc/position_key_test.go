package cdc

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func TestPositionKeyOrdersAsCompare(t *testing.T) {
	t.Parallel()
	numbers := []string{"", "0", "00", "7", "9", "10", "0010", "99", "100", "18446744073709551615", "18446744073709551616", "123456789012345678901234567890"}
	texts := []string{"", "0000002a:00000758:0005", "0000002a:00000758:0006", "0000002b:00000001:0001", "MEMBER.D20261126", "MEMBER.D20261127", "MEMBER.D2026112", "a", "a.", "a\x00", "ab", "b", "é"}
	r := rand.New(rand.NewPCG(1, 2))
	pick := func(kind int) string {
		if kind == 0 {
			return numbers[r.IntN(len(numbers))]
		}
		return texts[r.IntN(len(texts))]
	}
	for range 20000 {
		n := 1 + r.IntN(3)
		p, q := Position{Connector: "db2", Server: "s"}, Position{Connector: "db2", Server: "s"}
		for i := range n {
			kind := r.IntN(2)
			name := string(rune('a' + i))
			p.Parts = append(p.Parts, PositionPart{name, pick(kind)})
			q.Parts = append(q.Parts, PositionPart{name, pick(kind)})
		}
		sameKinds := true
		for i := range p.Parts {
			a, b := p.Parts[i].Value, q.Parts[i].Value
			if a != "" && b != "" && digits(a) != digits(b) {
				sameKinds = false
			}
		}
		if !sameKinds {
			continue
		}
		want, ok := p.Compare(q)
		if !ok {
			t.Fatalf("Compare(%s, %s) not ok", p, q)
		}
		if got := strings.Compare(p.Key(), q.Key()); got != want {
			t.Fatalf("Key order of %s, %s = %d, Compare = %d (%q, %q)", p, q, got, want, p.Key(), q.Key())
		}
		if p.Scope() != q.Scope() {
			t.Fatalf("Scope(%s) = %q, Scope(%s) = %q", p, p.Scope(), q, q.Scope())
		}
	}
	for _, k := range []string{Position{Connector: "x", Server: "s", Parts: []PositionPart{{"a", "é\x00"}, {"b", ""}, {"c", "042"}}}.Key()} {
		for i := 0; i < len(k); i++ {
			if k[i] < 0x21 || k[i] > 0x7e {
				t.Errorf("Key %q has a non-printable byte", k)
			}
		}
	}
	if (Position{}).Key() != "" || (Position{}).Scope() != "" {
		t.Error("zero position: Key or Scope not empty")
	}
	p := Position{Connector: "db2", Server: "s/1", Parts: []PositionPart{{"commit_lsn", "x"}, {"event_serial_no", "1"}}}
	q := Position{Connector: "db2", Server: "s/2", Parts: p.Parts}
	if got := p.Scope(); got != "db2/s%2F1/commit_lsn,event_serial_no" {
		t.Errorf("Scope = %q", got)
	}
	if _, ok := p.Compare(q); ok || p.Scope() == q.Scope() {
		t.Error("positions of different servers: comparable, or equal scopes")
	}
}
