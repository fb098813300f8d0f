package v1alpha1

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// DefaultParameterGroupName is the built-in group of engine defaults that a
// Cluster uses unless it names another.
const DefaultParameterGroupName = "default.mnemo-redis7"

// IsBuiltin reports whether the group is a built-in default group.
func (g *ParameterGroup) IsBuiltin() bool { return strings.HasPrefix(g.Name, "default.") }

// ParameterKind is the type of a parameter's value.
type ParameterKind int

// Parameter kinds.
const (
	// ParameterInt is a decimal integer.
	ParameterInt ParameterKind = iota
	// ParameterMemory is a byte count with Redis's optional unit suffix
	// (k, kb, m, mb, g, gb, case-insensitive).
	ParameterMemory
	// ParameterEnum is one of a fixed set of words.
	ParameterEnum
)

// Parameter is one engine parameter a ParameterGroup may set.
type Parameter struct {
	// Name as in redis.conf and CONFIG SET.
	Name string
	// Kind of its value.
	Kind ParameterKind
	// Min and Max bound Int and Memory values, included.
	Min, Max int64
	// Enum lists the values of an Enum parameter.
	Enum []string
}

// parameterAllowlist mirrors the engine's mutable parameters (engine/config,
// Redis 7's names and ranges); a controllers test checks that it agrees with
// the engine. Parameters a node must start with (port, bind, dir,
// io-threads…) and those Mnemo pins (save, appendonly…) are left out, as
// MemoryDB leaves them out. The CRD's CEL rule lists the same names.
var parameterAllowlist = []Parameter{
	{Name: "maxmemory", Kind: ParameterMemory, Min: 0, Max: math.MaxInt64},
	{Name: "maxmemory-policy", Kind: ParameterEnum, Enum: []string{
		"noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random",
		"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"}},
	{Name: "proto-max-bulk-len", Kind: ParameterMemory, Min: 1024 * 1024, Max: math.MaxInt64},
	{Name: "client-query-buffer-limit", Kind: ParameterMemory, Min: 1024 * 1024, Max: math.MaxInt64},
	// The engine takes any hz and clamps it to 1..500, as Redis does; a
	// group is held to the values that take effect.
	{Name: "hz", Kind: ParameterInt, Min: 1, Max: 500},
	{Name: "timeout", Kind: ParameterInt, Min: 0, Max: math.MaxInt32},
	{Name: "tcp-keepalive", Kind: ParameterInt, Min: 0, Max: math.MaxInt32},
	{Name: "maxclients", Kind: ParameterInt, Min: 1, Max: math.MaxUint32},
	{Name: "slowlog-log-slower-than", Kind: ParameterInt, Min: -1, Max: math.MaxInt64},
	{Name: "slowlog-max-len", Kind: ParameterInt, Min: 0, Max: math.MaxInt64},
	{Name: "latency-monitor-threshold", Kind: ParameterInt, Min: 0, Max: math.MaxInt64},
	{Name: "hash-max-listpack-entries", Kind: ParameterInt, Min: 0, Max: math.MaxInt64},
	{Name: "hash-max-listpack-value", Kind: ParameterInt, Min: 0, Max: math.MaxInt64},
	{Name: "set-max-intset-entries", Kind: ParameterInt, Min: 0, Max: math.MaxInt64},
	{Name: "zset-max-listpack-entries", Kind: ParameterInt, Min: 0, Max: math.MaxInt64},
	{Name: "zset-max-listpack-value", Kind: ParameterInt, Min: 0, Max: math.MaxInt64},
}

// AllowedParameters returns the parameters a ParameterGroup may set, in the
// allowlist's order.
func AllowedParameters() []Parameter { return slices.Clone(parameterAllowlist) }

// LookupParameter returns the allowlisted parameter with that name.
func LookupParameter(name string) (Parameter, bool) {
	for _, p := range parameterAllowlist {
		if p.Name == name {
			return p, true
		}
	}
	return Parameter{}, false
}

// Validate checks a value against the parameter's type and range.
func (p Parameter) Validate(value string) error {
	switch p.Kind {
	case ParameterEnum:
		if !slices.Contains(p.Enum, strings.ToLower(value)) {
			return fmt.Errorf("must be one of %s", strings.Join(p.Enum, ", "))
		}
		return nil
	case ParameterMemory:
		n, err := ParseMemory(value)
		if err != nil {
			return err
		}
		return p.checkRange(n)
	default:
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return errors.New("must be an integer")
		}
		return p.checkRange(n)
	}
}

func (p Parameter) checkRange(n int64) error {
	if n < p.Min || n > p.Max {
		if p.Max == math.MaxInt64 {
			return fmt.Errorf("must be at least %d", p.Min)
		}
		return fmt.Errorf("must be between %d and %d", p.Min, p.Max)
	}
	return nil
}

// ValidateParameters checks every parameter of a group against the
// allowlist and returns one error naming each bad parameter, in name order,
// or nil.
func ValidateParameters(params map[string]string) error {
	names := make([]string, 0, len(params))
	for n := range params {
		names = append(names, n)
	}
	sort.Strings(names)
	var errs []error
	for _, n := range names {
		p, ok := LookupParameter(n)
		if !ok {
			errs = append(errs, fmt.Errorf("%s: not a parameter a group may set", n))
			continue
		}
		if err := p.Validate(params[n]); err != nil {
			errs = append(errs, fmt.Errorf("%s %q: %w", n, params[n], err))
		}
	}
	return errors.Join(errs...)
}

// ParseMemory parses a byte count the way Redis does: digits and an optional
// unit, k=1000, kb=1024, m=1000², mb=1024², g=1000³, gb=1024³,
// case-insensitive.
func ParseMemory(s string) (int64, error) {
	units := []struct {
		suffix string
		mul    int64
	}{{"kb", 1 << 10}, {"mb", 1 << 20}, {"gb", 1 << 30}, {"k", 1000}, {"m", 1000 * 1000}, {"g", 1000 * 1000 * 1000}, {"b", 1}}
	lower := strings.ToLower(s)
	mul := int64(1)
	for _, u := range units {
		if strings.HasSuffix(lower, u.suffix) {
			lower, mul = strings.TrimSuffix(lower, u.suffix), u.mul
			break
		}
	}
	n, err := strconv.ParseInt(lower, 10, 64)
	if err != nil || n < 0 {
		return 0, errors.New("must be a byte count such as 1048576, 100mb or 1gb")
	}
	if n > math.MaxInt64/mul {
		return 0, errors.New("is too large")
	}
	return n * mul, nil
}
