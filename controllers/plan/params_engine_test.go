package plan

import (
	"slices"
	"testing"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
	engineconfig "github.com/mnemo-dev/mnemo/engine/config"
)

// engineAddsLater are allowlisted parameters the engine does not define yet
// (the maxmemory issue brings them). When the engine defines one, the test
// below checks it like any other; delete it from here then.
var engineAddsLater = []string{"maxmemory", "maxmemory-policy"}

// The ParameterGroup allowlist lives in api/ (which may not import the
// engine) and mirrors engine/config: names, kinds, ranges. This keeps the
// two from drifting apart.
func TestAllowlistMatchesEngine(t *testing.T) {
	kinds := map[mnemov1.ParameterKind]engineconfig.Kind{
		mnemov1.ParameterInt:    engineconfig.Int,
		mnemov1.ParameterMemory: engineconfig.Memory,
		mnemov1.ParameterEnum:   engineconfig.Enum,
	}
	for _, p := range mnemov1.AllowedParameters() {
		e := engineconfig.Lookup(p.Name)
		if e == nil {
			if !slices.Contains(engineAddsLater, p.Name) {
				t.Errorf("%s: allowlisted but the engine has no such parameter", p.Name)
			}
			continue
		}
		if e.Name != p.Name {
			t.Errorf("%s: the engine's name for it is %s; allowlist the canonical name", p.Name, e.Name)
		}
		if e.Immutable {
			t.Errorf("%s: immutable in the engine, so a group cannot change it on running nodes", p.Name)
		}
		if kinds[p.Kind] != e.Kind {
			t.Errorf("%s: kind %v in the allowlist, %v in the engine", p.Name, p.Kind, e.Kind)
		}
		if p.Kind == mnemov1.ParameterEnum {
			if !slices.Equal(slices.Sorted(slices.Values(p.Enum)), slices.Sorted(slices.Values(e.Enum))) {
				t.Errorf("%s: values %v in the allowlist, %v in the engine", p.Name, p.Enum, e.Enum)
			}
		} else {
			// A value the engine clamps takes effect only within the
			// clamp range, which is what a group may ask for.
			lo, hi := e.Min, e.Max
			if e.ClampMax != 0 {
				lo, hi = e.ClampMin, e.ClampMax
			}
			if p.Min != lo || p.Max != hi {
				t.Errorf("%s: range %d..%d in the allowlist, %d..%d in the engine", p.Name, p.Min, p.Max, lo, hi)
			}
		}
	}
	for _, name := range engineconfig.Names() {
		if _, ok := mnemov1.LookupParameter(name); !ok && !engineconfig.Lookup(name).Immutable {
			t.Logf("engine parameter %s is mutable but not allowlisted for ParameterGroups", name)
		}
	}
}
