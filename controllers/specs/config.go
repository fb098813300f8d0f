package specs

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
	"github.com/mnemo-dev/mnemo/controllers/plan"
)

// RenderParameters writes a node's parameter file, redis.conf syntax, from
// a ParameterGroup's parameters (already validated) and the node type.
// maxmemory comes from the node type; a group may only lower it, since
// more than the node type allows would get the pod killed for memory.
// Lines are sorted so the same inputs give the same bytes.
func RenderParameters(groupName string, params map[string]string, nt plan.NodeType) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Rendered by the Mnemo operator from ParameterGroup %s and node type %s.\n", groupName, nt.Name)
	b.WriteString("# Do not edit: the operator overwrites it.\n")
	maxMemory := nt.MaxMemory
	if v, ok := params["maxmemory"]; ok {
		if n, err := mnemov1.ParseMemory(v); err == nil && n > 0 && n < maxMemory {
			maxMemory = n
		}
	}
	fmt.Fprintf(&b, "maxmemory %s\n", strconv.FormatInt(maxMemory, 10))
	for _, name := range slices.Sorted(maps.Keys(params)) {
		if name == "maxmemory" {
			continue
		}
		fmt.Fprintf(&b, "%s %s\n", name, params[name])
	}
	return b.String()
}

// ConfigMap holds a Cluster's rendered parameter file, which every data
// node mounts as /etc/mnemo/mnemo.conf.
func ConfigMap(c *mnemov1.Cluster, rendered string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: ownedBy(c.ConfigName(), c.Namespace, Labels(c, ComponentConfig), c, "Cluster"),
		Data:       map[string]string{ConfigFileKey: rendered},
	}
}
