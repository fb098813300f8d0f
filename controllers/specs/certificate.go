package specs

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

// CertificateGVK is cert-manager's Certificate kind. The operator does not
// depend on cert-manager's Go module: it writes the object unstructured.
var CertificateGVK = schema.GroupVersionKind{Group: "cert-manager.io", Version: "v1", Kind: "Certificate"}

// Certificate asks cert-manager, through the Cluster's issuer, for the
// nodes' certificate in the Secret they mount: valid for the endpoint and
// every node's announced name (<pod>.<shard>.<namespace>.svc).
func Certificate(c *mnemov1.Cluster) *unstructured.Unstructured {
	ref := c.Spec.TLS.IssuerRef
	dns := []any{c.EndpointAddress(), c.EndpointAddress() + ".cluster.local"}
	for i := range c.Spec.NumShards {
		dns = append(dns, fmt.Sprintf("*.%s.%s.svc", c.ShardName(i), c.Namespace))
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"spec": map[string]any{
			"secretName": c.TLSSecretName(),
			"dnsNames":   dns,
			"issuerRef":  map[string]any{"name": ref.Name, "kind": ref.Kind, "group": ref.Group},
			"usages":     []any{"server auth", "client auth"},
		},
	}}
	u.SetGroupVersionKind(CertificateGVK)
	meta := ownedBy(c.TLSSecretName(), c.Namespace, Labels(c, ComponentConfig), c, "Cluster")
	u.SetName(meta.Name)
	u.SetNamespace(meta.Namespace)
	u.SetLabels(meta.Labels)
	u.SetOwnerReferences(meta.OwnerReferences)
	return u
}
