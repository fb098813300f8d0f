package specs

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
	"github.com/mnemo-dev/mnemo/controllers/plan"
)

// RenderParameters writes a node's parameter file, redis.conf syntax, from
// a ParameterGroup's parameters (already validated) and the node type
// (plan.EffectiveParameters: maxmemory follows the node type unless the
// group lowers it). Lines are sorted so the same inputs give the same bytes.
func RenderParameters(groupName string, params map[string]string, nt plan.NodeType) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Rendered by the Mnemo operator from ParameterGroup %s and node type %s.\n", groupName, nt.Name)
	b.WriteString("# Do not edit: the operator overwrites it.\n")
	eff := plan.EffectiveParameters(params, nt)
	fmt.Fprintf(&b, "maxmemory %s\n", eff["maxmemory"])
	for _, name := range slices.Sorted(maps.Keys(eff)) {
		if name == "maxmemory" {
			continue
		}
		fmt.Fprintf(&b, "%s %s\n", name, eff[name])
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
