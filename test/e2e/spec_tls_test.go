package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

// TestTLSClusterRefusesPlaintext makes a Cluster with TLS from a Secret
// (spec.tls.secretName: tls.crt, tls.key, ca.crt, as a user without
// cert-manager makes it): a go-redis ClusterClient verifying the nodes
// against the CA writes and reads through the endpoint's TLS port and is
// sent on to each node's TLS port by its DNS name; a plaintext client on
// that port is refused.
func TestTLSClusterRefusesPlaintext(t *testing.T) {
	e := suite(t)
	const spec = "TLS Cluster"
	ns := e.namespace(t, "e2e-tls")
	c := sample(t, "cluster_minimal.yaml")
	c.Name = "tls"
	c.Namespace = ns
	c.Spec.NumReplicasPerShard = 0
	c.Spec.TLS = &mnemov1.TLSSpec{Enabled: true, SecretName: "tls-certs"}
	secret := tlsSecret(t, c)
	if err := e.c.Create(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	record(spec, "time to Available", e.createAvailable(t, ns, c))
	addr := fmt.Sprintf("%s:%d", c.EndpointAddress(), c.EndpointPort())
	withCA := func(p *corev1.Pod) {
		p.Spec.Volumes = []corev1.Volume{{Name: "ca", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
			SecretName: secret.Name, Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}, DefaultMode: ptr.To[int32](0o444)}}}}
		p.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "ca", MountPath: "/etc/mnemo-ca", ReadOnly: true}}
	}

	start := time.Now()
	e.startCheckPod(t, ns, "tls", withCA, "--cluster", "--tls", "--tls-ca-file", "/etc/mnemo-ca/ca.crt",
		"--addr", addr, "--keys", "200", "--prefix", "tls")
	r := e.waitCheck(t, ns, "tls", 3*time.Minute)
	requireNoLoss(t, r)
	if r.Failed != 0 {
		t.Errorf("%d TLS writes failed (first: %q)", r.Failed, r.FirstError)
	}
	record(spec, "200 writes and reads over TLS (with its pod)", time.Since(start))

	e.startCheck(t, ns, "plaintext", "--cluster", "--addr", addr, "--keys", "3", "--prefix", "plain", "--settle", "1s")
	r = e.waitCheck(t, ns, "plaintext", 2*time.Minute)
	if r.Acked != 0 || r.FirstError == "" {
		t.Errorf("a plaintext client on the TLS port: %d writes acknowledged (first error %q); want it refused", r.Acked, r.FirstError)
	}
}

// tlsSecret makes a throwaway CA and a node certificate for c's endpoint
// and every node's announced name, as a kubernetes.io/tls Secret with
// ca.crt.
func tlsSecret(t *testing.T, c *mnemov1.Cluster) *corev1.Secret {
	t.Helper()
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mnemo e2e CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	dns := []string{c.EndpointAddress()}
	for i := range c.Spec.NumShards {
		dns = append(dns, fmt.Sprintf("*.%s.%s.svc", c.ShardName(i), c.Namespace))
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: c.EndpointAddress()}, DNSNames: dns,
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	enc := func(typ string, b []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}) }
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: c.TLSSecretName(), Namespace: c.Namespace},
		Type:       corev1.SecretTypeTLS,
		Data: map[string][]byte{
			corev1.TLSCertKey:       enc("CERTIFICATE", der),
			corev1.TLSPrivateKeyKey: enc("EC PRIVATE KEY", keyDER),
			"ca.crt":                enc("CERTIFICATE", caDER),
		},
	}
}
