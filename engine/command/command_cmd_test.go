package command

import (
	"strings"
	"testing"
)

func TestCommandListsServedCommandsOnly(t *testing.T) {
	e, c := serverTestEngine(t)
	if got, want := run(e, c, "COMMAND", "COUNT"), ":"+itoa(int64(len(e.tab.cmds)))+"\r\n"; got != want {
		t.Errorf("COMMAND COUNT = %q, want %q", got, want)
	}
	list := run(e, c, "COMMAND", "LIST")
	for _, name := range []string{"get", "config", "config|get", "command|info"} {
		if !strings.Contains(list, "\r\n"+name+"\r\n") {
			t.Errorf("COMMAND LIST lacks %s", name)
		}
	}
	// config|rewrite has metadata but no handler; migrate neither.
	for _, name := range []string{"config|rewrite", "migrate"} {
		if strings.Contains(list, "\r\n"+name+"\r\n") {
			t.Errorf("COMMAND LIST has %s, which Mnemo does not serve", name)
		}
	}
	info := run(e, c, "COMMAND", "INFO", "config")
	if !strings.Contains(info, "config|get") || strings.Contains(info, "config|rewrite") {
		t.Errorf("COMMAND INFO config lists other subcommands than those served: %q", info)
	}
	docs := run(e, c, "COMMAND", "DOCS", "config")
	if !strings.Contains(docs, "config|set") || strings.Contains(docs, "config|rewrite") {
		t.Errorf("COMMAND DOCS config documents other subcommands than those served: %q", docs)
	}
	if got := run(e, c, "COMMAND", "INFO", "migrate"); got != "*1\r\n$-1\r\n" {
		t.Errorf("COMMAND INFO of an unserved command = %q, want a null entry", got)
	}
}

func TestCommandGetKeys(t *testing.T) {
	e, c := serverTestEngine(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"GETKEYS", "set", "a", "b"}, "*1\r\n$1\r\na\r\n"},
		{[]string{"GETKEYS", "watch", "a", "b"}, "*2\r\n$1\r\na\r\n$1\r\nb\r\n"},
		{[]string{"GETKEYSANDFLAGS", "get", "a"}, "*1\r\n*2\r\n$1\r\na\r\n*2\r\n+RO\r\n+access\r\n"},
		{[]string{"GETKEYSANDFLAGS", "set", "a", "b"}, "*1\r\n*2\r\n$1\r\na\r\n*2\r\n+OW\r\n+update\r\n"},
		{[]string{"GETKEYSANDFLAGS", "set", "a", "b", "get"}, "*1\r\n*2\r\n$1\r\na\r\n*3\r\n+RW\r\n+access\r\n+update\r\n"},
		{[]string{"GETKEYS", "get", "a", "b"}, "-ERR Invalid number of arguments specified for command\r\n"},
		{[]string{"GETKEYS", "ping", "x"}, "-ERR The command has no key arguments\r\n"},
		{[]string{"GETKEYS", "config", "nosuch", "x"}, "-ERR Invalid command specified\r\n"},
	} {
		if got := run(e, c, append([]string{"COMMAND"}, tc.args...)...); got != tc.want {
			t.Errorf("COMMAND %v = %q, want %q", tc.args, got, tc.want)
		}
	}
}

func TestVariableKeyFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"set", "k", "v"}, "OW update"},
		{[]string{"set", "k", "v", "NX", "Get"}, "RW access update"},
		{[]string{"set", "k", "get"}, "OW update"}, // the value, not an option
		{[]string{"bitfield", "k"}, "RO access"},
		{[]string{"bitfield", "k", "GET", "u8", "0", "OVERFLOW", "SAT"}, "RO access"},
		{[]string{"bitfield", "k", "GET", "u8", "0", "SET", "u8", "0", "1"}, "RW access update"},
		{[]string{"bitfield", "k", "GET", "u8"}, "RW access update"}, // a syntax error is not read-only
	} {
		args := make([][]byte, len(tc.args))
		for i, a := range tc.args {
			args[i] = []byte(a)
		}
		if got := strings.Join(variableKeyFlags(tc.args[0], args), " "); got != tc.want {
			t.Errorf("variableKeyFlags(%v) = %s, want %s", tc.args, got, tc.want)
		}
	}
}
