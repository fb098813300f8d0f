package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

func TestCLIPod(t *testing.T) {
	c := &mnemov1.Cluster{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "orders"},
		Spec:   mnemov1.ClusterSpec{TLS: &mnemov1.TLSSpec{Enabled: true}},
		Status: mnemov1.ClusterStatus{Endpoint: &mnemov1.Endpoint{Address: "orders.shop.svc", Port: 6380}}}
	u := &mnemov1.User{ObjectMeta: metav1.ObjectMeta{Name: "app"}}
	u.Spec.Authentication.PasswordSecretRefs = []corev1.SecretKeySelector{{LocalObjectReference: corev1.LocalObjectReference{Name: "pw"}, Key: "app"}}
	pod, args, err := cliPod(c, u, "redis:7", "abc")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"redis-cli", "-c", "-h", "orders.shop.svc", "-p", "6380", "--user", "app", "--tls", "--cacert", "/tls/ca.crt"}
	if !slices.Equal(args, want) {
		t.Errorf("args %q, want %q", args, want)
	}
	ctr := pod.Spec.Containers[0]
	if pod.Name != "orders-cli-abc" || len(ctr.Env) != 1 || ctr.Env[0].Name != "REDISCLI_AUTH" ||
		ctr.Env[0].ValueFrom.SecretKeyRef.Name != "pw" || ctr.Env[0].Value != "" {
		t.Errorf("pod %s env %+v: the password must come from the Secret", pod.Name, ctr.Env)
	}
	if pod.Spec.Volumes[0].Secret.SecretName != "orders-tls" {
		t.Errorf("TLS volume %+v", pod.Spec.Volumes)
	}
	c.Status.Endpoint = nil
	if _, _, err := cliPod(c, nil, "redis:7", "abc"); err == nil {
		t.Error("a Cluster without an endpoint")
	}
}

func TestLogsArgs(t *testing.T) {
	got := strings.Join(logsArgs("shop", "orders", "1", true, 10*time.Minute, 50), " ")
	want := "logs -n shop -l mnemo.dev/cluster=orders,app.kubernetes.io/component=node,mnemo.dev/shard=1 --prefix --all-containers --max-log-requests 64 --tail 50 --follow --since 10m0s"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestProgressBar(t *testing.T) {
	for _, tc := range []struct {
		frac float64
		want string
	}{
		{0, "[....................]   0%"},
		{0.5, "[##########..........]  50%"},
		{1, "[####################] 100%"},
		{2, "[####################] 100%"},
	} {
		if got := progressBar(tc.frac); got != tc.want {
			t.Errorf("progressBar(%v) = %q, want %q", tc.frac, got, tc.want)
		}
	}
}

func TestMemoryText(t *testing.T) {
	for _, c := range []struct {
		used, limit int64
		want        string
	}{
		{512, 0, "512B"},
		{1536, 0, "1.5KiB"},
		{12 << 20, 1 << 30, "12.0MiB/1.0GiB (1%)"},
		{900 << 20, 1 << 30, "900.0MiB/1.0GiB (87%)"},
		{3 << 40, 0, "3.0TiB"},
	} {
		if got := memoryText(c.used, c.limit); got != c.want {
			t.Errorf("memoryText(%d, %d) = %q, want %q", c.used, c.limit, got, c.want)
		}
	}
}
