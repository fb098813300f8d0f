package command

import (
	"testing"
)

func TestConfigSetIsAtomic(t *testing.T) {
	e, c := serverTestEngine(t)
	got := run(e, c, "CONFIG", "SET", "timeout", "7", "maxclients", "0")
	if got != "-ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must be between 1 and 4294967295 inclusive\r\n" {
		t.Errorf("CONFIG SET with a bad second value = %q", got)
	}
	if v := e.Config().Int("timeout"); v != 0 {
		t.Errorf("timeout = %d after a failed CONFIG SET, want it unchanged", v)
	}
	if got := run(e, c, "CONFIG", "SET", "timeout", "7", "HZ", "20"); got != "+OK\r\n" {
		t.Fatalf("CONFIG SET = %q", got)
	}
	if e.Config().Int("timeout") != 7 || e.Config().Int("hz") != 20 {
		t.Errorf("CONFIG SET did not set both: timeout %d, hz %d", e.Config().Int("timeout"), e.Config().Int("hz"))
	}
}

func TestConfigGetPatterns(t *testing.T) {
	e, c := serverTestEngine(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		// Redis glob syntax, case-insensitive.
		{[]string{"[^a-g]Z"}, "*2\r\n$2\r\nhz\r\n$2\r\n10\r\n"},
		{[]string{"slowlog-max-le?"}, "*2\r\n$15\r\nslowlog-max-len\r\n$3\r\n128\r\n"},
		{[]string{"slowlog\\-max-le?"}, "*2\r\n$15\r\nslowlog-max-len\r\n$3\r\n128\r\n"},
		// Without * ? or [ a name is looked up as is, backslash included.
		{[]string{"slowlog\\-max-len"}, "*0\r\n"},
		{[]string{"*-enabled"}, "*2\r\n$15\r\ncluster-enabled\r\n$3\r\nyes\r\n"},
		// An exact name is reported as typed, once.
		{[]string{"HZ", "hz"}, "*2\r\n$2\r\nHZ\r\n$2\r\n10\r\n"},
		// A pattern does not repeat what an earlier argument reported.
		{[]string{"hz", "h?"}, "*2\r\n$2\r\nhz\r\n$2\r\n10\r\n"},
		// A pattern reports an alias before its parameter.
		{[]string{"zset-max-*-entries"}, "*4\r\n$24\r\nzset-max-ziplist-entries\r\n$3\r\n128\r\n$25\r\nzset-max-listpack-entries\r\n$3\r\n128\r\n"},
		{[]string{"nosuch", "nosuch*"}, "*0\r\n"},
	} {
		if got := run(e, c, append([]string{"CONFIG", "GET"}, tc.args...)...); got != tc.want {
			t.Errorf("CONFIG GET %v = %q, want %q", tc.args, got, tc.want)
		}
	}
}
