package v1alpha1

import (
	"strings"
	"testing"
)

func TestParseMemory(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		err  bool
	}{
		{in: "0", want: 0},
		{in: "1048576", want: 1 << 20},
		{in: "1k", want: 1000},
		{in: "1kb", want: 1024},
		{in: "100MB", want: 100 << 20},
		{in: "2m", want: 2000000},
		{in: "1gb", want: 1 << 30},
		{in: "3G", want: 3000000000},
		{in: "10b", want: 10},
		{in: "", err: true},
		{in: "mb", err: true},
		{in: "-1", err: true},
		{in: "1.5gb", err: true},
		{in: "1tb", err: true},
		{in: "99999999999999gb", err: true},
	} {
		got, err := ParseMemory(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseMemory(%q) = %d, %v; want %d, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestValidateParameters(t *testing.T) {
	for _, tc := range []struct {
		name   string
		params map[string]string
		errs   []string // substrings the error must hold, in order; none: valid
	}{
		{name: "empty"},
		{name: "good values", params: map[string]string{
			"maxmemory": "100mb", "maxmemory-policy": "allkeys-lru", "hz": "500",
			"timeout": "0", "slowlog-log-slower-than": "-1", "proto-max-bulk-len": "1mb",
		}},
		{name: "enum is case-insensitive", params: map[string]string{"maxmemory-policy": "NoEviction"}},
		{name: "unknown name", params: map[string]string{"port": "7000"},
			errs: []string{"port: not a parameter a group may set"}},
		{name: "int out of range", params: map[string]string{"hz": "501"},
			errs: []string{`hz "501": must be between 1 and 500`}},
		{name: "not an int", params: map[string]string{"maxclients": "many"},
			errs: []string{`maxclients "many": must be an integer`}},
		{name: "memory below minimum", params: map[string]string{"proto-max-bulk-len": "1kb"},
			errs: []string{`proto-max-bulk-len "1kb": must be at least 1048576`}},
		{name: "bad memory", params: map[string]string{"maxmemory": "lots"},
			errs: []string{`maxmemory "lots": must be a byte count`}},
		{name: "bad enum", params: map[string]string{"maxmemory-policy": "lru"},
			errs: []string{`maxmemory-policy "lru": must be one of noeviction`}},
		{name: "every error, in name order", params: map[string]string{"timeout": "-1", "hz": "0"},
			errs: []string{`hz "0"`, `timeout "-1"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateParameters(tc.params)
			if len(tc.errs) == 0 {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("got no error, want %q", tc.errs)
			}
			msg, at := err.Error(), 0
			for _, want := range tc.errs {
				i := strings.Index(msg[at:], want)
				if i < 0 {
					t.Fatalf("error %q lacks %q (after offset %d)", msg, want, at)
				}
				at += i + len(want)
			}
		})
	}
}

// The CRD's CEL rule lists the allowlist's names by hand (markers cannot
// refer to Go); keep the two the same.
func TestAllowlistMatchesCELRule(t *testing.T) {
	rule := celAllowlistRule(t)
	for _, p := range AllowedParameters() {
		if !strings.Contains(rule, "'"+p.Name+"'") {
			t.Errorf("the CEL rule on spec.parameters lacks %q", p.Name)
		}
	}
	if got, want := strings.Count(rule, "'"), 2*len(AllowedParameters()); got != want {
		t.Errorf("the CEL rule lists %d names, the allowlist %d", got/2, want/2)
	}
}
