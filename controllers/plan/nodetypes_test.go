package plan

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
)

func TestBuiltinCatalog(t *testing.T) {
	c := BuiltinCatalog()
	for _, name := range []string{"db.t4g.small", "db.t4g.medium", "db.r6g.large", "db.r7g.large", "db.r7g.8xlarge"} {
		if _, ok := c.Lookup(name); !ok {
			t.Errorf("built-in catalog lacks %s", name)
		}
	}
	for name, nt := range c {
		if nt.Name != name {
			t.Errorf("%s: Name is %q", name, nt.Name)
		}
		if nt.MaxMemory <= 0 || nt.MaxMemory >= nt.Memory.Value() {
			t.Errorf("%s: maxmemory %d not in (0, memory %s)", name, nt.MaxMemory, nt.Memory.String())
		}
		if nt.CPURequest.Cmp(nt.CPULimit) > 0 {
			t.Errorf("%s: CPU request %s above limit %s", name, nt.CPURequest.String(), nt.CPULimit.String())
		}
	}
	if _, ok := c.Lookup("db.x9.huge"); ok {
		t.Error("Lookup found a type that does not exist")
	}
	if msg := c.UnknownNodeTypeMessage("db.x9.huge"); !strings.Contains(msg, `"db.x9.huge"`) || !strings.Contains(msg, "db.r7g.large") {
		t.Errorf("UnknownNodeTypeMessage = %q", msg)
	}
}

func TestParseCatalog(t *testing.T) {
	for _, tc := range []struct {
		name  string
		data  map[string]string
		check func(t *testing.T, c Catalog)
		err   string
	}{
		{name: "empty keeps the base", check: func(t *testing.T, c Catalog) {
			if len(c) != len(BuiltinCatalog()) {
				t.Errorf("got %d types, want %d", len(c), len(BuiltinCatalog()))
			}
		}},
		{name: "adds a type, request defaults to limit",
			data: map[string]string{"db.custom.large": "cpu=2 memory=8Gi maxmemory=6gb"},
			check: func(t *testing.T, c Catalog) {
				nt, ok := c.Lookup("db.custom.large")
				if !ok {
					t.Fatal("custom type missing")
				}
				if nt.CPURequest.Cmp(resource.MustParse("2")) != 0 || nt.MaxMemory != 6<<30 || nt.Memory.Cmp(resource.MustParse("8Gi")) != 0 {
					t.Errorf("got %+v", nt)
				}
			}},
		{name: "redefines a built-in type",
			data: map[string]string{"db.t4g.small": "cpuRequest=100m cpu=1 memory=1Gi maxmemory=800mb"},
			check: func(t *testing.T, c Catalog) {
				nt, _ := c.Lookup("db.t4g.small")
				if nt.CPURequest.Cmp(resource.MustParse("100m")) != 0 || nt.MaxMemory != 800<<20 {
					t.Errorf("got %+v", nt)
				}
			}},
		{name: "missing maxmemory", data: map[string]string{"db.x": "cpu=1 memory=1Gi"}, err: "cpu, memory and maxmemory are all required"},
		{name: "unknown key", data: map[string]string{"db.x": "cpu=1 memory=1Gi maxmemory=1mb gpu=1"}, err: `unknown key "gpu"`},
		{name: "not key=value", data: map[string]string{"db.x": "cpu"}, err: `"cpu" is not key=value`},
		{name: "bad quantity", data: map[string]string{"db.x": "cpu=lots memory=1Gi maxmemory=1mb"}, err: "cpu=lots"},
		{name: "maxmemory above memory", data: map[string]string{"db.x": "cpu=1 memory=1Gi maxmemory=2gb"}, err: "below memory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := BuiltinCatalog()
			c, err := ParseCatalog(base, tc.data)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
			if nt := base["db.t4g.small"]; nt.MaxMemory != 1228*mib {
				t.Error("ParseCatalog changed its base")
			}
		})
	}
}
