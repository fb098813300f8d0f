package specs

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

func itoa[T ~int32 | ~int](n T) string { return strconv.Itoa(int(n)) }

// podNameEnv gives a container its pod's name as $(POD_NAME).
var podNameEnv = corev1.EnvVar{
	Name:      "POD_NAME",
	ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}},
}

// restrictedSecurity is the pod security "restricted" profile: mnemo is a
// static binary that needs no privilege.
func restrictedSecurity() (*corev1.PodSecurityContext, *corev1.SecurityContext) {
	return &corev1.PodSecurityContext{
			RunAsNonRoot:   ptr.To(true),
			RunAsUser:      ptr.To[int64](65532),
			RunAsGroup:     ptr.To[int64](65532),
			FSGroup:        ptr.To[int64](65532),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		}, &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptr.To(false),
			ReadOnlyRootFilesystem:   ptr.To(true),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		}
}

// spread keeps pods matching selector on different hosts (anti-affinity)
// and spreads them over zones, as the Cluster's topology asks.
func spread(c *mnemov1.Cluster, selector map[string]string) (*corev1.Affinity, []corev1.TopologySpreadConstraint) {
	sel := &metav1.LabelSelector{MatchLabels: selector}
	term := corev1.PodAffinityTerm{LabelSelector: sel, TopologyKey: corev1.LabelHostname}
	anti := &corev1.PodAntiAffinity{}
	if c.Spec.Topology.AntiAffinity == "Required" {
		anti.RequiredDuringSchedulingIgnoredDuringExecution = []corev1.PodAffinityTerm{term}
	} else {
		anti.PreferredDuringSchedulingIgnoredDuringExecution = []corev1.WeightedPodAffinityTerm{{Weight: 100, PodAffinityTerm: term}}
	}
	zoneKey := c.Spec.Topology.ZoneKey
	if zoneKey == "" {
		zoneKey = corev1.LabelTopologyZone
	}
	when := c.Spec.Topology.ZoneSpread
	if when == "" {
		when = corev1.ScheduleAnyway
	}
	return &corev1.Affinity{PodAntiAffinity: anti}, []corev1.TopologySpreadConstraint{{
		MaxSkew:           1,
		TopologyKey:       zoneKey,
		WhenUnsatisfiable: when,
		LabelSelector:     sel,
	}}
}
