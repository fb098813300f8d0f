package specs

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

// Label keys on every object the operator creates.
const (
	LabelName      = "app.kubernetes.io/name"
	LabelInstance  = "app.kubernetes.io/instance"
	LabelComponent = "app.kubernetes.io/component"
	LabelManagedBy = "app.kubernetes.io/managed-by"
	// LabelCluster names the Cluster an object belongs to; the
	// reconcilers find a Cluster's objects by it.
	LabelCluster = "mnemo.dev/cluster"
	// LabelShard is the shard index of a data node or snapshot Job.
	LabelShard = "mnemo.dev/shard"
	// LabelSnapshot names the Snapshot a Job builds.
	LabelSnapshot = "mnemo.dev/snapshot"
	// LabelRestoreSource, on the data pods of a restored Cluster, names
	// the Cluster whose log holds the snapshot they restore from: that
	// Cluster's NetworkPolicy lets them reach its log.
	LabelRestoreSource = "mnemo.dev/restore-source"
	// LabelRestoreFor, on a point-in-time Snapshot the operator built for
	// a Cluster's spec.restoreFrom.pointInTime, names that Cluster.
	LabelRestoreFor = "mnemo.dev/restore-for"
)

// Components, the values of LabelComponent.
const (
	ComponentNode     = "node"
	ComponentLog      = "log"
	ComponentSnapshot = "snapshot"
	ComponentConfig   = "config"
)

// ManagedBy is the value of LabelManagedBy.
const ManagedBy = "mnemo-operator"

// Paths and ports the data plane's contracts fix.
const (
	configDir      = "/etc/mnemo"
	configFile     = "mnemo.conf"
	aclDir         = "/etc/mnemo/acl"
	ACLFileKey     = "users.acl"
	tlsDir         = "/etc/mnemo/tls"
	ConfigFileKey  = configFile
	metricsPort    = 9121
	logClientPort  = 4222
	logClusterPort = 6222
	logDataDir     = "/data"
)

// Labels returns the labels of an object of a Cluster's component.
func Labels(c *mnemov1.Cluster, component string) map[string]string {
	return map[string]string{
		LabelName:      "mnemo",
		LabelInstance:  c.Name,
		LabelComponent: component,
		LabelManagedBy: ManagedBy,
		LabelCluster:   c.Name,
	}
}

// SelectorLabels returns the labels that select a Cluster's pods of a
// component: a subset of Labels that never changes, as selectors must not.
func SelectorLabels(c *mnemov1.Cluster, component string) map[string]string {
	return map[string]string{LabelCluster: c.Name, LabelComponent: component}
}

func shardLabels(c *mnemov1.Cluster, s *mnemov1.Shard) map[string]string {
	l := Labels(c, ComponentNode)
	l[LabelShard] = itoa(s.Spec.Index)
	return l
}

func shardSelector(c *mnemov1.Cluster, s *mnemov1.Shard) map[string]string {
	l := SelectorLabels(c, ComponentNode)
	l[LabelShard] = itoa(s.Spec.Index)
	return l
}

func gvk(kind string) schema.GroupVersionKind { return mnemov1.GroupVersion.WithKind(kind) }

// ownedBy returns object metadata with a controller owner reference to
// owner, so that deleting the owner deletes the object.
func ownedBy(name, namespace string, labels map[string]string, owner metav1.Object, kind string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:            name,
		Namespace:       namespace,
		Labels:          labels,
		OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(owner, gvk(kind))},
	}
}

// Image is the image a Cluster's pods run: the Cluster's override, or the
// operator's default.
func Image(c *mnemov1.Cluster, defaultImage string) string {
	if c.Spec.Image != "" {
		return c.Spec.Image
	}
	return defaultImage
}
