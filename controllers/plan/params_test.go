package plan

import (
	"testing"
)

func TestEffectiveParameters(t *testing.T) {
	nt := NodeType{Name: "db.t", MaxMemory: 1000 * mib}
	for _, tc := range []struct {
		name   string
		params map[string]string
		want   string
	}{
		{"from the node type", nil, "1048576000"},
		{"a group may lower it", map[string]string{"maxmemory": "100mb"}, "104857600"},
		{"but not raise it past the node type", map[string]string{"maxmemory": "10gb"}, "1048576000"},
		{"0 (no limit) keeps the node type's", map[string]string{"maxmemory": "0"}, "1048576000"},
	} {
		eff := EffectiveParameters(tc.params, nt)
		if eff["maxmemory"] != tc.want {
			t.Errorf("%s: maxmemory %s, want %s", tc.name, eff["maxmemory"], tc.want)
		}
	}
	params := map[string]string{"hz": "20"}
	EffectiveParameters(params, nt)
	if len(params) != 1 {
		t.Error("EffectiveParameters changed its input")
	}
}

func TestSplitParameters(t *testing.T) {
	live, restart := SplitParameters(map[string]string{"hz": "20", "maxmemory": "5", "io-threads": "4"})
	if live["hz"] != "20" || live["maxmemory"] != "5" {
		t.Errorf("live %v", live)
	}
	// A parameter the group left out goes back to the engine's default
	// on running nodes, as a restarted node would have it.
	if live["timeout"] != "0" || live["maxmemory-policy"] != "noeviction" {
		t.Errorf("defaults missing from live: %v", live)
	}
	if restart["io-threads"] != "4" || len(restart) != 1 {
		t.Errorf("restart %v: io-threads is read only at start", restart)
	}
	if _, ok := live["io-threads"]; ok {
		t.Error("io-threads cannot be set live")
	}
}

func TestHashParameters(t *testing.T) {
	a := HashParameters(map[string]string{"hz": "20", "timeout": "5"})
	if a == "" || a != HashParameters(map[string]string{"timeout": "5", "hz": "20"}) {
		t.Error("the hash must not depend on map order")
	}
	if a == HashParameters(map[string]string{"hz": "20", "timeout": "6"}) || a == HashParameters(map[string]string{"hz": "205", "timeout": ""}) {
		t.Error("different values, same hash")
	}
	if HashParameters(nil) != "" {
		t.Error("no parameters hash to empty")
	}
	args := ConfigSetArgs(map[string]string{"timeout": "5", "hz": "20"})
	if len(args) != 6 || args[2] != "hz" || args[4] != "timeout" {
		t.Errorf("args %v", args)
	}
}
