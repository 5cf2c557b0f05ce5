package identity

import (
	"math"
	"testing"
)

// NYSIIS codes of the original rules (Taft, 1970), untruncated: the names
// of the Rosetta Code NYSIIS task, each also worked by hand.
func TestNYSIIS(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"BISHOP", "BASAP"},
		{"CARLSON", "CARLSAN"},
		{"CARR", "CAR"},
		{"CHAPMAN", "CAPNAN"},
		{"FRANKLIN", "FRANCLAN"},
		{"GREENE", "GRAN"},
		{"HARPER", "HARPAR"},
		{"JACOBS", "JACAB"},
		{"LARSON", "LARSAN"},
		{"LAWRENCE", "LARANC"},
		{"LAWSON", "LASAN"},
		{"LYNCH", "LYNC"},
		{"MACKENZIE", "MCANSY"},
		{"MCDANIEL", "MCDANAL"},
		{"MCDONALD", "MCDANALD"},
		{"MORRISON", "MARASAN"},
		{"OBRIEN", "OBRAN"},
		{"RICHARDS", "RACARD"},
		{"SILVA", "SALV"},
		{"WATKINS", "WATCAN"},
		{"WHEELER", "WALAR"},
		{"KNIGHT", "NAGT"},
		{"MITCHELL", "MATCAL"},
		{"ODANIEL", "ODANAL"},
		{"BROWN", "BRAN"},
		{"SCHMIDT", "SNAD"},
		{"", ""},
	} {
		if got := nysiis(tc.in); got != tc.want {
			t.Errorf("nysiis(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// Spelling variants meet.
	for _, p := range [][2]string{{"JOHNSON", "JONSON"}, {"CATHERINE", "KATHERINE"}, {"STEPHEN", "STEVEN"}} {
		if nysiis(p[0]) != nysiis(p[1]) {
			t.Errorf("nysiis(%s)=%s, nysiis(%s)=%s", p[0], nysiis(p[0]), p[1], nysiis(p[1]))
		}
	}
}

// Soundex codes from the US National Archives' examples.
func TestSoundex(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"ROBERT", "R163"}, {"RUPERT", "R163"}, {"RUBIN", "R150"}, {"ASHCRAFT", "A261"},
		{"ASHCROFT", "A261"}, {"TYMCZAK", "T522"}, {"PFISTER", "P236"}, {"HONEYMAN", "H555"},
		{"LEE", "L000"}, {"", ""},
	} {
		if got := soundex(tc.in); got != tc.want {
			t.Errorf("soundex(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// Jaro and Jaro–Winkler values of the usual published examples (MARTHA,
// DWAYNE and DIXON are Winkler's).
func TestJaroWinkler(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b     string
		jaro, jw float64
	}{
		{"MARTHA", "MARHTA", 0.944, 0.961},
		{"DWAYNE", "DUANE", 0.822, 0.840},
		{"DIXON", "DICKSONX", 0.767, 0.813},
		{"JELLYFISH", "SMELLYFISH", 0.896, 0.896},
		{"ABC", "ABC", 1, 1},
		{"ABC", "XYZ", 0, 0},
		{"", "A", 0, 0},
	} {
		if got := jaro(tc.a, tc.b); math.Abs(got-tc.jaro) > 0.0005 {
			t.Errorf("jaro(%s, %s) = %.4f, want %.3f", tc.a, tc.b, got, tc.jaro)
		}
		if got := jaroWinkler(tc.a, tc.b); math.Abs(got-tc.jw) > 0.0005 {
			t.Errorf("jaroWinkler(%s, %s) = %.4f, want %.3f", tc.a, tc.b, got, tc.jw)
		}
		if jaroWinkler(tc.a, tc.b) != jaroWinkler(tc.b, tc.a) {
			t.Errorf("jaroWinkler(%s, %s) not symmetric", tc.a, tc.b)
		}
	}
}

func TestNicknames(t *testing.T) {
	t.Parallel()
	for _, p := range [][2]string{
		{"WILLIAM", "BILL"}, {"BILL", "WILL"}, {"LIAM", "WILLIAM"}, {"ROBERT", "BOB"}, {"ELIZABETH", "BETSY"},
		{"MARGARET", "PEGGY"}, {"KATHERINE", "CATHERINE"}, {"JAMES", "JIMMY"}, {"JOHN", "JACK"}, {"ALBERT", "AL"}, {"ALFRED", "AL"},
	} {
		if !nicknames(p[0], p[1]) || !nicknames(p[1], p[0]) {
			t.Errorf("%s and %s should be nicknames", p[0], p[1])
		}
	}
	for _, p := range [][2]string{{"WILLIAM", "WILLIAM"}, {"WILLIAM", "ROBERT"}, {"ALBERT", "ALFRED"}, {"JOHN", "JOAN"}, {"X", "Y"}} {
		if nicknames(p[0], p[1]) {
			t.Errorf("%s and %s should not be nicknames", p[0], p[1])
		}
	}
	canonical := 0
	for range nicknameGroups() {
		canonical++
	}
	if canonical < 400 {
		t.Errorf("nickname table has %d names, want the ~150 groups of common names", canonical)
	}
}

func TestOneEdit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"JOHNSON", "JONSON", true}, {"JOHNSON", "JOHNSTON", true}, {"JOHNSON", "JOHNSNO", true},
		{"JOHNSON", "JOHNSEN", true}, {"JOHNSON", "JOHNSON", true}, {"JOHNSON", "JOHN", false},
		{"JOHNSON", "JHONSNO", false}, {"A", "", true}, {"", "", true},
	} {
		if got := oneEdit(tc.a, tc.b); got != tc.want {
			t.Errorf("oneEdit(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}
