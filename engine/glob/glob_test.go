package glob

import "testing"

func TestMatch(t *testing.T) {
	tests := []struct {
		p, s string
		want bool
	}{
		{"*", "", false}, // as stringmatchlen; KEYS and SCAN special-case a lone "*"
		{"*", "abc", true},
		{"a*c", "abbbc", true},
		{"a*c", "abbb", false},
		{"h?llo", "hello", true},
		{"h[ae]llo", "hallo", true},
		{"h[^e]llo", "hello", false},
		{"h[a-b]llo", "hbllo", true},
		{"h[b-a]llo", "hallo", true},
		{`h\*llo`, "h*llo", true},
		{`h\*llo`, "hello", false},
		{"h[", "h", false},
		{"[abc", "a", true},
		{"a**", "a", true},
		{"", "", true},
		{"", "a", false},
		{"user:*:name", "user:42:name", true},
	}
	for _, tt := range tests {
		if got := Match(tt.p, tt.s); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.p, tt.s, got, tt.want)
		}
	}
	if !MatchFold("HELLO*", "hello world") {
		t.Error("MatchFold should ignore case")
	}
}

func FuzzMatch(f *testing.F) {
	f.Add("a*[b-c]?\\", "abcd")
	f.Fuzz(func(t *testing.T, p, s string) {
		Match(p, s)
		MatchFold(p, s)
	})
}
