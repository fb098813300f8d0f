package config

import (
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mnemo-dev/mnemo/engine/glob"
)

// Kind is a parameter's value type.
type Kind int

// Parameter kinds.
const (
	Int Kind = iota
	Memory
	Bool
	Enum
	String
)

// Param describes one parameter.
type Param struct {
	Name string
	// Help is a one-line description for --help.
	Help    string
	Aliases []string
	Kind    Kind
	Default string
	Min     int64
	Max     int64
	Enum    []string
	// Immutable parameters are set at start only.
	Immutable bool
	// ClampMin and ClampMax, if set, bound an accepted value silently, as
	// Redis clamps hz to 1..500 whatever it is given.
	ClampMin, ClampMax int64
	// Check, if set, validates a value beyond its kind.
	Check func(string) error
	// Parse, if set, parses a String parameter's value given the current
	// one (client-output-buffer-limit changes only the classes it names)
	// into its canonical form and a parsed value the engine reads with
	// Parsed, so that a hot path never parses text.
	Parse func(cur, value string) (canon string, parsed any, err error)
}

// Config is a set of parameter values. It is safe for concurrent use: the
// engine reads values on every command, without locking, and CONFIG SET
// writes them.
type Config struct {
	// setMu serialises writers; readers never lock.
	setMu sync.Mutex
	// vals has one slot per canonical name, created by New and never
	// added to or removed from afterwards, so reading the map needs no
	// lock; each slot's value is swapped atomically.
	vals map[string]*slot
	// OnChange, if set, is called after a value changes (CONFIG SET).
	OnChange func(name string)
}

// slot holds one parameter's current value.
type slot struct {
	str    atomic.Pointer[string] // canonical form, as CONFIG GET shows it
	num    atomic.Int64           // parsed Int/Memory/Bool value
	parsed atomic.Pointer[any]    // what Param.Parse returned, if it is set
}

var (
	params = map[string]*Param{}
	names  []string
)

func define(p *Param) {
	params[p.Name] = p
	for _, a := range p.Aliases {
		params[a] = p
	}
	names = append(names, p.Name)
}

// Lookup returns the parameter with that name or alias.
func Lookup(name string) *Param { return params[strings.ToLower(name)] }

// Names returns every canonical parameter name, sorted.
func Names() []string {
	out := append([]string(nil), names...)
	sort.Strings(out)
	return out
}

// New returns a Config holding every default.
func New() *Config {
	c := &Config{vals: map[string]*slot{}}
	for _, n := range names {
		c.vals[n] = &slot{}
	}
	for _, n := range names {
		p := params[n]
		if err := c.store(p, p.Default); err != nil {
			panic(fmt.Sprintf("bad default for %s: %v", n, err))
		}
	}
	return c
}

// Get returns a parameter's value as CONFIG GET shows it.
func (c *Config) Get(name string) (string, bool) {
	p := Lookup(name)
	if p == nil {
		return "", false
	}
	return *c.vals[p.Name].str.Load(), true
}

// Int returns an Int, Memory or Bool parameter's value (Bool as 0 or 1).
func (c *Config) Int(name string) int64 { return c.vals[name].num.Load() }

// Parsed returns what the parameter's Parse function made of its current
// value (nil for parameters without one).
func (c *Config) Parsed(name string) any {
	if p := c.vals[name].parsed.Load(); p != nil {
		return *p
	}
	return nil
}

// Bool returns a Bool parameter's value.
func (c *Config) Bool(name string) bool { return c.Int(name) != 0 }

// String returns a parameter's value.
func (c *Config) String(name string) string { return *c.vals[name].str.Load() }

// ErrUnknown is returned for a parameter that does not exist.
var ErrUnknown = errors.New("unknown parameter")

// ErrImmutable is returned when setting an immutable parameter at run time.
var ErrImmutable = errors.New("can't set immutable config")

// Set sets a parameter at run time (CONFIG SET).
func (c *Config) Set(name, value string) error {
	p := Lookup(name)
	if p == nil {
		return ErrUnknown
	}
	if p.Immutable {
		return ErrImmutable
	}
	if err := c.store(p, value); err != nil {
		return err
	}
	if c.OnChange != nil {
		c.OnChange(p.Name)
	}
	return nil
}

// Validate checks a value for a parameter without setting it.
func Validate(name, value string) error {
	p := Lookup(name)
	if p == nil {
		return ErrUnknown
	}
	_, _, _, err := p.parse(p.Default, value)
	return err
}

// SetStartup sets a parameter before the engine starts; immutable ones
// included.
func (c *Config) SetStartup(name, value string) error {
	p := Lookup(name)
	if p == nil {
		return fmt.Errorf("%w '%s'", ErrUnknown, name)
	}
	if err := c.store(p, value); err != nil {
		return fmt.Errorf("'%s %s': %w", name, value, err)
	}
	return nil
}

func (c *Config) store(p *Param, value string) error {
	c.setMu.Lock()
	defer c.setMu.Unlock()
	sl := c.vals[p.Name]
	cur := p.Default
	if s := sl.str.Load(); s != nil {
		cur = *s
	}
	canon, n, parsed, err := p.parse(cur, value)
	if err != nil {
		return err
	}
	sl.str.Store(&canon)
	sl.num.Store(n)
	if p.Parse != nil {
		sl.parsed.Store(&parsed)
	}
	return nil
}

// parse validates value and returns its canonical form (as CONFIG GET
// shows it), for numeric kinds its number, and what Parse made of it. cur
// is the current value, for parameters whose new value amends the old.
func (p *Param) parse(cur, value string) (string, int64, any, error) {
	var n int64
	var parsed any
	switch p.Kind {
	case Int:
		v, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return "", 0, nil, errors.New("argument couldn't be parsed into an integer")
		}
		n = v
	case Memory:
		v, err := ParseMemory(value)
		if err != nil {
			return "", 0, nil, err
		}
		if v < 0 {
			// Redis 7.0 reads every memory parameter as unsigned.
			return "", 0, nil, errors.New("argument must be a memory value")
		}
		n = v
		value = strconv.FormatInt(v, 10)
	case Bool:
		switch strings.ToLower(value) {
		case "yes":
			n, value = 1, "yes"
		case "no":
			n, value = 0, "no"
		default:
			return "", 0, nil, errors.New("argument must be 'yes' or 'no'")
		}
	case String:
		if p.Parse != nil {
			canon, v, err := p.Parse(cur, value)
			if err != nil {
				return "", 0, nil, err
			}
			value, parsed = canon, v
			if i, ok := v.(int64); ok {
				n = i
			}
		}
	case Enum:
		lv := strings.ToLower(value)
		found := false
		for _, e := range p.Enum {
			if e == lv {
				found = true
			}
		}
		if !found {
			return "", 0, nil, fmt.Errorf("argument(s) must be one of the following: %s", strings.Join(p.Enum, ", "))
		}
		value = lv
	}
	if p.Kind == Int || p.Kind == Memory {
		if n < p.Min || n > p.Max {
			return "", 0, nil, fmt.Errorf("argument must be between %d and %d inclusive", p.Min, p.Max)
		}
	}
	if p.ClampMax != 0 && (n < p.ClampMin || n > p.ClampMax) {
		n = max(p.ClampMin, min(n, p.ClampMax))
		value = strconv.FormatInt(n, 10)
	}
	if p.Check != nil {
		if err := p.Check(value); err != nil {
			return "", 0, nil, err
		}
	}
	return value, n, parsed, nil
}

// ParseMemory parses a memory amount with Redis's units: b, k, kb, m, mb,
// g, gb (k = 1000, kb = 1024), case-insensitive.
func ParseMemory(s string) (int64, error) {
	ls := strings.ToLower(s)
	mul := int64(1)
	for _, u := range []struct {
		suffix string
		mul    int64
	}{{"gb", 1 << 30}, {"mb", 1 << 20}, {"kb", 1 << 10}, {"g", 1e9}, {"m", 1e6}, {"k", 1000}, {"b", 1}} {
		if strings.HasSuffix(ls, u.suffix) {
			ls, mul = strings.TrimSuffix(ls, u.suffix), u.mul
			break
		}
	}
	if ls == "" {
		// Redis's memtoull reads nothing as 0.
		return 0, nil
	}
	v, err := strconv.ParseInt(ls, 10, 64)
	if err != nil || v < 0 && mul != 1 {
		return 0, errors.New("argument must be a memory value")
	}
	if mul != 1 && v > math.MaxInt64/mul {
		return 0, errors.New("argument must be a memory value")
	}
	return v * mul, nil
}

// Match returns the names of the parameters matching a CONFIG GET glob
// pattern, with Redis's case-insensitive stringmatch semantics (engine/glob).
// Aliases match too and are reported by the name matched, as Redis reports
// both "hash-max-listpack-entries" and "hash-max-ziplist-entries" for
// "hash-max-*".
func Match(pattern string) []string {
	var out []string
	for name := range params {
		if glob.MatchFold(pattern, name) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// LoadFile reads a redis.conf-style file: one "name value..." directive a
// line, # comments, quoted arguments. Values with several words (save
// "900 1") are joined with spaces.
func (c *Config) LoadFile(file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("cannot read config file: %w", err)
	}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		fields, ok := splitConfigLine(line)
		if !ok {
			return fmt.Errorf("%s:%d: unbalanced quotes", file, i+1)
		}
		if len(fields) < 1 {
			continue
		}
		if err := c.SetStartup(fields[0], strings.Join(fields[1:], " ")); err != nil {
			return fmt.Errorf("%s:%d: %w", file, i+1, err)
		}
	}
	return nil
}

func splitConfigLine(line string) ([]string, bool) {
	var out []string
	for line = strings.TrimSpace(line); line != ""; line = strings.TrimSpace(line) {
		switch q := line[0]; q {
		case '"', '\'':
			end := strings.IndexByte(line[1:], q)
			if end < 0 {
				return nil, false
			}
			out = append(out, line[1:end+1])
			line = line[end+2:]
		default:
			end := strings.IndexAny(line, " \t")
			if end < 0 {
				end = len(line)
			}
			out = append(out, line[:end])
			line = line[end:]
		}
	}
	return out, true
}

// ParseArgs applies redis-server-style arguments: an optional config file
// as the first argument, then "--name value [value...]" pairs. It returns an
// error naming any unknown parameter.
func (c *Config) ParseArgs(args []string) error {
	if len(args) > 0 && !strings.HasPrefix(args[0], "--") {
		if err := c.LoadFile(args[0]); err != nil {
			return err
		}
		args = args[1:]
	}
	for i := 0; i < len(args); {
		name, ok := strings.CutPrefix(args[i], "--")
		if !ok {
			return fmt.Errorf("unexpected argument %q: parameters are given as --name value", args[i])
		}
		var vals []string
		if eq := strings.IndexByte(name, '='); eq >= 0 {
			name, vals = name[:eq], []string{name[eq+1:]}
			i++
		} else {
			j := i + 1
			for j < len(args) && !strings.HasPrefix(args[j], "--") {
				vals = append(vals, args[j])
				j++
			}
			i = j
		}
		if name == "config" {
			if len(vals) != 1 {
				return errors.New("--config takes one file")
			}
			if err := c.LoadFile(vals[0]); err != nil {
				return err
			}
			continue
		}
		if Lookup(name) == nil {
			return fmt.Errorf("unknown parameter '%s' (see --help for the parameters this engine has)", name)
		}
		if err := c.SetStartup(name, strings.Join(vals, " ")); err != nil {
			return err
		}
	}
	return nil
}
