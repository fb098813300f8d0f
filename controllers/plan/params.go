package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"strconv"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
	engineconfig "github.com/mnemo-dev/mnemo/engine/config"
)

// EffectiveParameters are the parameters a Cluster's nodes run with: the
// group's, with maxmemory from the node type. A group may only lower
// maxmemory, since more than the node type allows would get the pod
// killed for memory.
func EffectiveParameters(params map[string]string, nt NodeType) map[string]string {
	out := maps.Clone(params)
	if out == nil {
		out = map[string]string{}
	}
	maxMemory := nt.MaxMemory
	if v, ok := params["maxmemory"]; ok {
		if n, err := mnemov1.ParseMemory(v); err == nil && n > 0 && n < maxMemory {
			maxMemory = n
		}
	}
	out["maxmemory"] = strconv.FormatInt(maxMemory, 10)
	return out
}

// SplitParameters divides effective parameters into those the engine
// changes on a running node (CONFIG SET) and those it reads only at
// start. live also holds every allowlisted parameter the group leaves
// out, at the engine's default, so that removing a parameter from a group
// undoes it on running nodes as it would on a restarted one.
func SplitParameters(effective map[string]string) (live, restart map[string]string) {
	live, restart = map[string]string{}, map[string]string{}
	for _, p := range mnemov1.AllowedParameters() {
		if e := engineconfig.Lookup(p.Name); e != nil && !e.Immutable {
			live[p.Name] = e.Default
		}
	}
	for name, v := range effective {
		if e := engineconfig.Lookup(name); e != nil && !e.Immutable {
			live[name] = v
		} else {
			restart[name] = v
		}
	}
	return live, restart
}

// HashParameters identifies a set of parameters: the same names and
// values give the same hash. "" for none.
func HashParameters(params map[string]string) string {
	if len(params) == 0 {
		return ""
	}
	h := sha256.New()
	for _, name := range slices.Sorted(maps.Keys(params)) {
		h.Write([]byte(name))
		h.Write([]byte{0})
		h.Write([]byte(params[name]))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// ConfigSetArgs are the arguments of one CONFIG SET that gives a node
// every live parameter, sorted by name: the engine checks them all before
// it sets any, so a node takes all or none.
func ConfigSetArgs(live map[string]string) []any {
	args := []any{"CONFIG", "SET"}
	for _, name := range slices.Sorted(maps.Keys(live)) {
		args = append(args, name, live[name])
	}
	return args
}
