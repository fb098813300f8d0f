package specs

import (
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

// NetworkPolicies admit only a Cluster's own traffic plus its clients:
//   - <cluster>: every pod of the Cluster (nodes, log servers, snapshot
//     Jobs) accepts any traffic from the Cluster's own pods and nothing
//     else;
//   - <cluster>-clients: data nodes also accept the client port (only the
//     TLS port when TLS is on) and the metrics port from anywhere;
//   - <cluster>-restores: log servers also accept their client port from
//     the data pods of Clusters restoring from one of this Cluster's
//     snapshots, which are kept in its log (labelled
//     LabelRestoreSource=<cluster>).
//
// Policies add up, so together they say exactly that.
func NetworkPolicies(c *mnemov1.Cluster) []*networkingv1.NetworkPolicy {
	own := &metav1.LabelSelector{MatchLabels: map[string]string{LabelCluster: c.Name}}
	clientPort := intstr.FromInt32(c.ClientPort())
	if c.TLSEnabled() {
		clientPort = intstr.FromInt32(c.TLSPort())
	}
	tcp := corev1.ProtocolTCP
	metrics := intstr.FromInt32(metricsPort)
	logPort := intstr.FromInt32(logClientPort)
	return []*networkingv1.NetworkPolicy{
		{
			ObjectMeta: ownedBy(c.Name, c.Namespace, Labels(c, ComponentConfig), c, "Cluster"),
			Spec: networkingv1.NetworkPolicySpec{
				PodSelector: *own,
				PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
				Ingress:     []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{PodSelector: own}}}},
			},
		},
		{
			ObjectMeta: ownedBy(c.Name+"-clients", c.Namespace, Labels(c, ComponentConfig), c, "Cluster"),
			Spec: networkingv1.NetworkPolicySpec{
				PodSelector: metav1.LabelSelector{MatchLabels: SelectorLabels(c, ComponentNode)},
				PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
				Ingress: []networkingv1.NetworkPolicyIngressRule{{Ports: []networkingv1.NetworkPolicyPort{
					{Protocol: &tcp, Port: &clientPort},
					{Protocol: &tcp, Port: &metrics},
				}}},
			},
		},
		{
			ObjectMeta: ownedBy(c.Name+"-restores", c.Namespace, Labels(c, ComponentConfig), c, "Cluster"),
			Spec: networkingv1.NetworkPolicySpec{
				PodSelector: metav1.LabelSelector{MatchLabels: SelectorLabels(c, ComponentLog)},
				PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
				Ingress: []networkingv1.NetworkPolicyIngressRule{{
					From: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{
						MatchLabels: map[string]string{LabelRestoreSource: c.Name}}}},
					Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: &logPort}},
				}},
			},
		},
	}
}
