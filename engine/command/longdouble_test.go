package command

import "testing"

func TestLongDouble(t *testing.T) {
	add := func(a, b string) string {
		x, ok1 := ldParse([]byte(a))
		y, ok2 := ldParse([]byte(b))
		if !ok1 || !ok2 {
			return "parse error"
		}
		return ldFormatHuman(ldNew().Add(x, y))
	}
	for _, tc := range []struct{ a, b, want string }{
		{"0.1", "0.2", "0.3"},
		{"10.50", "0.1", "10.6"},
		{"5.0e3", "2.0e2", "5200"},
		{"1", "-1", "0"},
		{"-0.0", "0", "0"},
		{"3", "1.5e-5", "3.000015"},
		{"0x10", "1", "17"},
		{"1e400", "0", // What Redis 7.0.15 answers: the long double nearest 1e400.
			"10000000000000000000281880683947586514586453433629052038625910693539685534008629862039363994848324160522094053927317616200295822777259255734023828976593340661017797447434546173917862448116674971723778943824391593338047470675026246684401359237513603830343735485505244955964979021825038280091068414947402456898653040951017512658092615827588920183472511643316591362664138176309734806343732497430221946880"},
	} {
		if got := add(tc.a, tc.b); got != tc.want {
			t.Errorf("%s + %s = %s, want %s", tc.a, tc.b, got, tc.want)
		}
	}
	for _, bad := range []string{"", " 1", "1 ", "abc", "nan", "1_0", "0b1", "0o7", "1e", "--1", "1e5000", "1e-5000"} {
		if _, ok := ldParse([]byte(bad)); ok {
			t.Errorf("ldParse(%q) accepted", bad)
		}
	}
	for _, inf := range []string{"inf", "-INF", "Infinity", "+inf"} {
		if f, ok := ldParse([]byte(inf)); !ok || !f.IsInf() {
			t.Errorf("ldParse(%q) = %v, %v", inf, f, ok)
		}
	}
}
