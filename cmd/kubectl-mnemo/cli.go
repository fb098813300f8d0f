package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

// defaultCLIImage carries redis-cli; the mnemo image (distroless) has no
// shell tools.
const defaultCLIImage = "docker.io/library/redis:7.2"

func cliCmd(conn connect) *cobra.Command {
	var user, image string
	cmd := &cobra.Command{
		Use:   "cli CLUSTER [--user USER] [-- REDIS-CLI-ARGS...]",
		Short: "Open redis-cli in cluster mode on a Cluster, with a User's credentials",
		Long: "cli starts a short-lived pod running redis-cli next to the Cluster and attaches\n" +
			"to it (kubectl exec -it). With --user, the User's password comes from its Secret\n" +
			"into the pod's environment (REDISCLI_AUTH): it never passes through this\n" +
			"terminal. With TLS on, the Cluster's CA is mounted and used. The pod is\n" +
			"deleted when the shell ends.",
		Example:           "  kubectl mnemo cli orders --user app\n  kubectl mnemo cli orders --user app -- GET greeting",
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: clusterArg(conn),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := conn()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			var c mnemov1.Cluster
			if err := e.c.Get(ctx, client.ObjectKey{Namespace: e.ns, Name: args[0]}, &c); err != nil {
				return fmt.Errorf("cannot read Cluster %s/%s: %w", e.ns, args[0], err)
			}
			var u *mnemov1.User
			if user != "" {
				u = &mnemov1.User{}
				if err := e.c.Get(ctx, client.ObjectKey{Namespace: e.ns, Name: user}, u); err != nil {
					return fmt.Errorf("cannot read User %s: %w", user, err)
				}
			}
			pod, redisArgs, err := cliPod(&c, u, image, randomSuffix())
			if err != nil {
				return err
			}
			if err := e.c.Create(ctx, pod); err != nil {
				return fmt.Errorf("cannot start the redis-cli pod: %w", err)
			}
			defer func() {
				_ = e.c.Delete(context.Background(), pod, client.GracePeriodSeconds(0))
			}()
			if err := waitRunning(ctx, e, pod.Name, 2*time.Minute); err != nil {
				return err
			}
			execArgs := []string{"exec", "-n", e.ns, "-it", pod.Name, "--"}
			execArgs = append(execArgs, redisArgs...)
			return runKubectl(ctx, e, append(execArgs, args[1:]...)...)
		},
	}
	cmd.Flags().StringVar(&user, "user", "", "the Mnemo User to authenticate as (default: the default user)")
	cmd.Flags().StringVar(&image, "image", defaultCLIImage, "an image with redis-cli")
	return cmd
}

func randomSuffix() string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// cliPod is the redis-cli pod for Cluster c, authenticating as u (nil: the
// default user), and the redis-cli command to run in it.
func cliPod(c *mnemov1.Cluster, u *mnemov1.User, image, suffix string) (*corev1.Pod, []string, error) {
	if c.Status.Endpoint == nil {
		return nil, nil, fmt.Errorf("cluster %s has no endpoint yet (phase %q)", c.Name, c.Status.Phase)
	}
	redisArgs := []string{"redis-cli", "-c", "-h", c.Status.Endpoint.Address, "-p", strconv.Itoa(int(c.Status.Endpoint.Port))}
	ctr := corev1.Container{
		Name: "redis-cli", Image: image,
		Command: []string{"sleep", "3600"},
		SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptr.To(false),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		},
	}
	if u != nil {
		refs := u.Spec.Authentication.PasswordSecretRefs
		if len(refs) == 0 {
			return nil, nil, fmt.Errorf("user %s has no password Secret", u.Name)
		}
		ref := refs[0]
		ctr.Env = append(ctr.Env, corev1.EnvVar{Name: "REDISCLI_AUTH", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &ref}})
		redisArgs = append(redisArgs, "--user", u.Name)
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: c.Namespace, Name: c.Name + "-cli-" + suffix,
			Labels: map[string]string{
				"app.kubernetes.io/name": "mnemo", "app.kubernetes.io/component": "cli", "mnemo.dev/cluster": c.Name,
			},
		},
		Spec: corev1.PodSpec{
			RestartPolicy:                 corev1.RestartPolicyNever,
			TerminationGracePeriodSeconds: ptr.To[int64](0),
			AutomountServiceAccountToken:  ptr.To(false),
			SecurityContext: &corev1.PodSecurityContext{
				// The redis image's redis user.
				RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To[int64](999), RunAsGroup: ptr.To[int64](999),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
		},
	}
	if tls := c.Spec.TLS; tls != nil && tls.Enabled {
		secret := tls.SecretName
		if secret == "" {
			secret = c.TLSSecretName()
		}
		pod.Spec.Volumes = []corev1.Volume{{Name: "tls", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
			SecretName: secret, Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}},
		}}}}
		ctr.VolumeMounts = []corev1.VolumeMount{{Name: "tls", MountPath: "/tls", ReadOnly: true}}
		redisArgs = append(redisArgs, "--tls", "--cacert", "/tls/ca.crt")
	}
	pod.Spec.Containers = []corev1.Container{ctr}
	return pod, redisArgs, nil
}

// waitRunning waits until the pod runs.
func waitRunning(ctx context.Context, e *env, name string, timeout time.Duration) error {
	deadline := e.now().Add(timeout)
	for {
		var p corev1.Pod
		if err := e.c.Get(ctx, client.ObjectKey{Namespace: e.ns, Name: name}, &p); err != nil {
			return err
		}
		switch p.Status.Phase {
		case corev1.PodRunning:
			return nil
		case corev1.PodFailed, corev1.PodSucceeded:
			return fmt.Errorf("the redis-cli pod %s ended (%s)", name, p.Status.Phase)
		}
		if !e.now().Before(deadline) {
			return fmt.Errorf("the redis-cli pod %s is not running after %s (kubectl describe pod %s)", name, timeout, name)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(e.poll):
		}
	}
}
