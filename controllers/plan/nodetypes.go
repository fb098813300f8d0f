package plan

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

// NodeType is the size of a data node: what its pod requests and may use,
// and the maxmemory the engine runs with (below the memory limit, leaving
// room for the Go runtime, client buffers and the replication pipeline).
type NodeType struct {
	// Name, as in a Cluster's spec.nodeType.
	Name string
	// CPURequest and CPULimit are the pod's CPU request and limit; burstable
	// types request less than their limit.
	CPURequest, CPULimit resource.Quantity
	// Memory is the pod's memory request and limit.
	Memory resource.Quantity
	// MaxMemory is the engine's maxmemory in bytes.
	MaxMemory int64
}

// Catalog is a set of node types by name.
type Catalog map[string]NodeType

func nodeType(name, cpuReq, cpuLim, mem string, maxMemory int64) NodeType {
	return NodeType{
		Name: name, CPURequest: resource.MustParse(cpuReq), CPULimit: resource.MustParse(cpuLim),
		Memory: resource.MustParse(mem), MaxMemory: maxMemory,
	}
}

const (
	mib = int64(1) << 20
	gib = int64(1) << 30
)

// BuiltinCatalog is the catalog the operator ships, named as MemoryDB names
// its node types. maxmemory is about 80% of the memory limit. The node-type
// ConfigMap adds to it or redefines entries (see ParseCatalog); the
// ValidatingAdmissionPolicy in config/policy lists the same names.
func BuiltinCatalog() Catalog {
	c := Catalog{}
	for _, t := range []NodeType{
		nodeType("db.t4g.small", "250m", "2", "1536Mi", 1228*mib),
		nodeType("db.t4g.medium", "500m", "2", "3Gi", 2458*mib),
		nodeType("db.r6g.large", "2", "2", "16Gi", 13*gib),
		nodeType("db.r6g.xlarge", "4", "4", "32Gi", 26*gib),
		nodeType("db.r6g.2xlarge", "8", "8", "64Gi", 52*gib),
		nodeType("db.r7g.large", "2", "2", "16Gi", 13*gib),
		nodeType("db.r7g.xlarge", "4", "4", "32Gi", 26*gib),
		nodeType("db.r7g.2xlarge", "8", "8", "64Gi", 52*gib),
		nodeType("db.r7g.4xlarge", "16", "16", "128Gi", 105*gib),
		nodeType("db.r7g.8xlarge", "32", "32", "256Gi", 210*gib),
	} {
		c[t.Name] = t
	}
	return c
}

// Names returns the catalog's names, sorted.
func (c Catalog) Names() []string { return slices.Sorted(maps.Keys(c)) }

// Lookup returns the node type with that name and whether it exists.
func (c Catalog) Lookup(name string) (NodeType, bool) {
	t, ok := c[name]
	return t, ok
}

// UnknownNodeTypeMessage says, for people, that name is not in the catalog
// and which names are.
func (c Catalog) UnknownNodeTypeMessage(name string) string {
	return fmt.Sprintf("unknown node type %q; known types: %s", name, strings.Join(c.Names(), ", "))
}

// ParseCatalog reads the node-type ConfigMap's data on top of base: each key
// names a node type, each value sets its size as space-separated key=value
// pairs, for example
//
//	db.custom.large: "cpu=2 memory=8Gi maxmemory=6gb"
//	db.t4g.small:    "cpuRequest=100m cpu=1 memory=1Gi maxmemory=800mb"
//
// cpu is the limit and, unless cpuRequest is given, the request too. A key
// that redefines a built-in type replaces it whole. The result is a new
// catalog; base is not changed.
func ParseCatalog(base Catalog, data map[string]string) (Catalog, error) {
	out := maps.Clone(base)
	if out == nil {
		out = Catalog{}
	}
	for _, name := range slices.Sorted(maps.Keys(data)) {
		t, err := parseNodeType(name, data[name])
		if err != nil {
			return nil, err
		}
		out[name] = t
	}
	return out, nil
}

func parseNodeType(name, spec string) (NodeType, error) {
	t := NodeType{Name: name}
	var haveCPU, haveMem, haveMax, haveReq bool
	for _, field := range strings.Fields(spec) {
		k, v, ok := strings.Cut(field, "=")
		if !ok {
			return NodeType{}, fmt.Errorf("node type %s: %q is not key=value", name, field)
		}
		var err error
		switch k {
		case "cpu":
			t.CPULimit, err = resource.ParseQuantity(v)
			haveCPU = true
		case "cpuRequest":
			t.CPURequest, err = resource.ParseQuantity(v)
			haveReq = true
		case "memory":
			t.Memory, err = resource.ParseQuantity(v)
			haveMem = true
		case "maxmemory":
			t.MaxMemory, err = mnemov1.ParseMemory(v)
			haveMax = true
		default:
			return NodeType{}, fmt.Errorf("node type %s: unknown key %q (want cpu, cpuRequest, memory, maxmemory)", name, k)
		}
		if err != nil {
			return NodeType{}, fmt.Errorf("node type %s: %s=%s: %w", name, k, v, err)
		}
	}
	if !haveCPU || !haveMem || !haveMax {
		return NodeType{}, fmt.Errorf("node type %s: cpu, memory and maxmemory are all required", name)
	}
	if !haveReq {
		t.CPURequest = t.CPULimit
	}
	if t.MaxMemory <= 0 || t.MaxMemory >= t.Memory.Value() {
		return NodeType{}, fmt.Errorf("node type %s: maxmemory must be above 0 and below memory", name)
	}
	return t, nil
}
