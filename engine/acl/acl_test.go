package acl

import (
	"strings"
	"testing"
)

func testCatalog() *Catalog {
	c := NewCatalog()
	c.Add("get", []string{"@read", "@string", "@fast"}, nil)
	c.Add("set", []string{"@write", "@string", "@slow"}, nil)
	c.Add("hget", []string{"@read", "@hash", "@fast"}, nil)
	c.Add("select", []string{"@fast", "@connection"}, nil)
	cfg := c.Add("config", []string{"@slow"}, nil)
	c.Add("config|get", []string{"@admin", "@slow", "@dangerous"}, cfg)
	c.Add("config|set", []string{"@admin", "@slow", "@dangerous"}, cfg)
	c.Add("publish", []string{"@pubsub", "@fast"}, nil)
	c.Add("psubscribe", []string{"@pubsub", "@slow"}, nil)
	return c
}

func TestRulesDescribe(t *testing.T) {
	cat := testCatalog()
	for _, tc := range []struct{ rules, want string }{
		{"", "off resetchannels -@all"},
		{"on nopass ~* &* +@all", "on nopass ~* &* +@all"},
		{"on >pw ~a:* %R~b %W~c %RW~a:* &x +get +set", "on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~a:* %R~b %W~c resetchannels &x -@all +@string"},
		{"+@all -config|set", "off resetchannels +@all -config|set"},
		// All of @admin is off, so the best fit names the category.
		{"+@all -config", "off resetchannels +@all -@admin -config"},
		{"+select|0 +config|get", "off resetchannels -@all +select|0 +config|get"},
		{"allkeys (~x +get) (&c +publish)", "off ~* resetchannels -@all (~x resetchannels -@all +get) (resetchannels &c -@all +publish)"},
		{"on >a reset", "off sanitize-payload resetchannels -@all"},
	} {
		u := NewUser(cat, "u")
		rules, bad := MergeSelectors(strings.Fields(tc.rules))
		if bad >= 0 {
			t.Fatalf("%q: unmatched parenthesis", tc.rules)
		}
		for _, r := range rules {
			if err := u.SetRule(cat, r); err != nil {
				t.Fatalf("%q: rule %q: %v", tc.rules, r, err)
			}
		}
		if got := u.Describe(cat); got != tc.want {
			t.Errorf("%q:\n got %q\nwant %q", tc.rules, got, tc.want)
		}
	}
}

func TestRuleErrors(t *testing.T) {
	cat := testCatalog()
	for rule, want := range map[string]error{
		"+nosuch": errUnknownName, "+@nosuch": errUnknownName, "bogus": errSyntax,
		"+config|get|x": errFirstArgSub, "+get|": errSyntax, "+config|nosuch": errUnknownName,
		"#abc": errBadHash, "<nope": errNoSuchPass, "%X~a": errSyntax,
	} {
		if err := NewUser(cat, "u").SetRule(cat, rule); err != want {
			t.Errorf("%q: %v, want %v", rule, err, want)
		}
	}
	u := NewUser(cat, "u")
	u.SetRule(cat, "allkeys")
	if err := u.SetRule(cat, "~x"); err != errKeysAfterAll {
		t.Errorf("~x after allkeys: %v", err)
	}
}

func TestCheck(t *testing.T) {
	cat := testCatalog()
	u := NewUser(cat, "u")
	for _, r := range []string{"on", "%R~r:*", "%W~w:*", "&news.*", "+get", "+set", "+publish", "+psubscribe", "+select|0", "(~s:* +get)"} {
		if err := u.SetRule(cat, r); err != nil {
			t.Fatal(err)
		}
	}
	args := func(s string) [][]byte {
		var out [][]byte
		for _, f := range strings.Fields(s) {
			out = append(out, []byte(f))
		}
		return out
	}
	for _, tc := range []struct {
		cmd, line string
		perm      int
		want      Verdict
		pos       int
	}{
		{"get", "get r:1", PermRead, OK, 0},
		{"get", "get w:1", PermRead, DeniedKey, 1},
		{"get", "get s:1", PermRead, OK, 0},
		{"set", "set w:1 v", PermWrite, OK, 0},
		{"set", "set r:1 v", PermWrite, DeniedKey, 1},
		{"set", "set s:1 v", PermWrite, DeniedKey, 1},
		{"hget", "hget r:1 f", PermRead, DeniedCommand, 0},
		{"select", "select 0", 0, OK, 0},
		{"select", "select 1", 0, DeniedCommand, 0},
		{"publish", "publish news.a m", 0, OK, 0},
		{"publish", "publish sport m", 0, DeniedChannel, 1},
		{"psubscribe", "psubscribe news.*", 0, OK, 0},
		{"psubscribe", "psubscribe news.a", 0, DeniedChannel, 1},
	} {
		a := args(tc.line)
		r := &Request{Cmd: cat.Lookup(tc.cmd), Args: a}
		if tc.perm != 0 {
			r.Keys = func() []KeyRef { return []KeyRef{{1, tc.perm}} }
		}
		if v, pos := u.Check(r); v != tc.want || pos != tc.pos {
			t.Errorf("%s: %v at %d, want %v at %d", tc.line, v, pos, tc.want, tc.pos)
		}
	}
	if !u.ChannelAllowed("news.x", false) || u.ChannelAllowed("news.*", true) == false || u.ChannelAllowed("x", false) {
		t.Error("ChannelAllowed disagrees with the channel rules")
	}
}

func TestLogGroups(t *testing.T) {
	var l Log
	e := LogEntry{Reason: ReasonKey, Context: ContextTopLevel, Object: "k", Username: "u", CreatedMs: 1000}
	l.Add(e, 3)
	e.CreatedMs = 2000
	l.Add(e, 3)
	if got := l.Entries(10); len(got) != 1 || got[0].Count != 2 {
		t.Fatalf("same denial twice: %+v", got)
	}
	e.CreatedMs = 100000
	l.Add(e, 3)
	for _, o := range []string{"a", "b", "c"} {
		e.Object = o
		l.Add(e, 3)
	}
	if got := l.Entries(10); len(got) != 3 || got[0].Object != "c" {
		t.Fatalf("max length 3, newest first: %+v", got)
	}
}
