package command

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// fullTable builds a table in which every command of the metadata has a
// handler, so key extraction can be tested for commands not served yet.
func fullTable(t *testing.T) *Table {
	t.Helper()
	var mf metaFile
	if err := json.Unmarshal(commandsJSON, &mf); err != nil {
		t.Fatal(err)
	}
	handlers := map[string]Handler{}
	nop := func(*Ctx) {}
	for _, m := range mf.Commands {
		cmd := fromInfo(&m.Info, nil)
		handlers[cmd.Name] = nop
		for _, sub := range cmd.Subcommands {
			handlers[sub.Name] = nop
		}
	}
	tab, err := buildTable(handlers)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func TestKeyPositions(t *testing.T) {
	tab := fullTable(t)
	tests := []struct {
		cmd  string
		want []int
	}{
		{"GET k", []int{1}},
		{"SET k v EX 10", []int{1}},
		{"MSET a 1 b 2 c 3", []int{1, 3, 5}},
		{"MGET a b c", []int{1, 2, 3}},
		{"DEL a b", []int{1, 2}},
		{"ZUNIONSTORE dst 2 a b WEIGHTS 1 2", []int{1, 3, 4}},
		{"ZUNION 2 a b", []int{2, 3}},
		{"LMPOP 2 a b LEFT", []int{2, 3}},
		{"BLMPOP 0 2 a b LEFT", []int{3, 4}},
		{"EVAL script 2 a b x y", []int{3, 4}},
		{"XREAD COUNT 2 STREAMS s1 s2 0 0", []int{4, 5}},
		{"XREADGROUP GROUP g c STREAMS s1 0", []int{5}},
		{"BLPOP a b 0", []int{1, 2}},
		{"LMOVE src dst LEFT RIGHT", []int{1, 2}},
		{"SINTERCARD 2 a b LIMIT 1", []int{2, 3}},
		{"PING", nil},
		{"PUBLISH ch msg", nil},
	}
	for _, tt := range tests {
		args := [][]byte{}
		for _, a := range strings.Fields(tt.cmd) {
			args = append(args, []byte(a))
		}
		cmd := tab.Lookup(string(args[0]))
		if cmd == nil {
			t.Fatalf("%s: no such command", args[0])
		}
		got := cmd.KeyPositions(args, nil)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: keys at %v, want %v", tt.cmd, got, tt.want)
		}
	}
}

func TestTableRefusesHandlerWithoutMetadata(t *testing.T) {
	_, err := buildTable(map[string]Handler{"nosuchcommand": func(*Ctx) {}})
	if err == nil || !strings.Contains(err.Error(), "nosuchcommand") {
		t.Fatalf("err = %v, want a complaint naming the handler", err)
	}
}

func TestUnknownCommandError(t *testing.T) {
	args := [][]byte{[]byte("FOO"), []byte("a"), []byte(strings.Repeat("x", 200))}
	got := errUnknownCommand(args)
	want := "ERR unknown command 'FOO', with args beginning with: 'a' '" + strings.Repeat("x", 124) + "' "
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}
