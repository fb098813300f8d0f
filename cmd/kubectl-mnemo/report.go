package main

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/yaml"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
)

func reportCmd(conn connect) *cobra.Command {
	var output string
	var logLines int64
	cmd := &cobra.Command{
		Use:   "report CLUSTER",
		Short: "Write a support bundle of a Cluster (manifests, status, events, logs), secrets redacted",
		Long: "report writes a zip file with what support needs to understand a Cluster: the\n" +
			"Cluster, its Shards, Snapshots, ParameterGroup, ACL and Users, the StatefulSets,\n" +
			"pods, Services, ConfigMaps, Jobs and PodDisruptionBudgets the operator made, the\n" +
			"Events, and the last lines of every pod's log. Secrets are listed with their keys\n" +
			"and sizes only: no value leaves the cluster.",
		Example:           "  kubectl mnemo report orders -o orders-report.zip",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: clusterArg(conn),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := conn()
			if err != nil {
				return err
			}
			if output == "" {
				output = fmt.Sprintf("mnemo-report-%s-%s-%s.zip", e.ns, args[0], e.now().UTC().Format("20060102-150405"))
			}
			f, err := os.Create(output)
			if err != nil {
				return err
			}
			if err := writeReport(cmd.Context(), e, args[0], logLines, f); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			fmt.Fprintf(e.out, "Wrote %s\n", output)
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "the zip file to write (default mnemo-report-NS-CLUSTER-TIME.zip)")
	cmd.Flags().Int64Var(&logLines, "log-lines", 2000, "lines of each pod's log to include")
	return cmd
}

// writeReport writes the bundle of Cluster name to w.
func writeReport(ctx context.Context, e *env, name string, logLines int64, w io.Writer) error {
	zw := zip.NewWriter(w)
	var c mnemov1.Cluster
	if err := e.c.Get(ctx, client.ObjectKey{Namespace: e.ns, Name: name}, &c); err != nil {
		return fmt.Errorf("cannot read Cluster %s/%s: %w", e.ns, name, err)
	}
	add := func(file string, objs ...client.Object) error {
		var b strings.Builder
		for _, o := range objs {
			y, err := toYAML(e.c.Scheme(), o)
			if err != nil {
				return err
			}
			b.WriteString("---\n")
			b.Write(y)
		}
		fw, err := zw.Create(file)
		if err != nil {
			return err
		}
		_, err = io.WriteString(fw, b.String())
		return err
	}
	if err := add("cluster.yaml", &c); err != nil {
		return err
	}
	mine := client.MatchingLabels{"mnemo.dev/cluster": name}
	lists := []struct {
		file string
		list client.ObjectList
		opts []client.ListOption
	}{
		{"shards.yaml", &mnemov1.ShardList{}, nil},
		{"snapshots.yaml", &mnemov1.SnapshotList{}, nil},
		{"statefulsets.yaml", &appsv1.StatefulSetList{}, []client.ListOption{mine}},
		{"pods.yaml", &corev1.PodList{}, []client.ListOption{mine}},
		{"services.yaml", &corev1.ServiceList{}, []client.ListOption{mine}},
		{"configmaps.yaml", &corev1.ConfigMapList{}, []client.ListOption{mine}},
		{"jobs.yaml", &batchv1.JobList{}, []client.ListOption{mine}},
		{"poddisruptionbudgets.yaml", &policyv1.PodDisruptionBudgetList{}, []client.ListOption{mine}},
		{"secrets.yaml", &corev1.SecretList{}, nil},
		{"events.yaml", &eventsv1.EventList{}, nil},
	}
	var pods []corev1.Pod
	for _, l := range lists {
		if err := e.c.List(ctx, l.list, append([]client.ListOption{client.InNamespace(e.ns)}, l.opts...)...); err != nil {
			return fmt.Errorf("cannot list for %s: %w", l.file, err)
		}
		var objs []client.Object
		switch list := l.list.(type) {
		case *mnemov1.ShardList:
			for i := range list.Items {
				if list.Items[i].Spec.ClusterName == name {
					objs = append(objs, &list.Items[i])
				}
			}
		case *mnemov1.SnapshotList:
			for i := range list.Items {
				if list.Items[i].Spec.ClusterName == name {
					objs = append(objs, &list.Items[i])
				}
			}
		case *corev1.SecretList:
			// Every Secret the namespace holds may be a User's password:
			// list them all, values redacted.
			for i := range list.Items {
				objs = append(objs, redactSecret(&list.Items[i]))
			}
		case *eventsv1.EventList:
			for i := range list.Items {
				if strings.HasPrefix(list.Items[i].Regarding.Name, name) {
					objs = append(objs, &list.Items[i])
				}
			}
		case *corev1.PodList:
			pods = list.Items
			for i := range list.Items {
				objs = append(objs, &list.Items[i])
			}
		default:
			items, err := apiMetaItems(l.list)
			if err != nil {
				return err
			}
			objs = items
		}
		if err := add(l.file, objs...); err != nil {
			return err
		}
	}
	// What the Cluster references.
	var refs []client.Object
	pg := &mnemov1.ParameterGroup{}
	if c.Spec.ParameterGroupName != "" && e.c.Get(ctx, client.ObjectKey{Namespace: e.ns, Name: c.Spec.ParameterGroupName}, pg) == nil {
		refs = append(refs, pg)
	}
	acl := &mnemov1.ACL{}
	if c.Spec.ACLName != "" && e.c.Get(ctx, client.ObjectKey{Namespace: e.ns, Name: c.Spec.ACLName}, acl) == nil {
		refs = append(refs, acl)
		for _, u := range acl.Spec.UserNames {
			user := &mnemov1.User{}
			if e.c.Get(ctx, client.ObjectKey{Namespace: e.ns, Name: u}, user) == nil {
				refs = append(refs, user)
			}
		}
	}
	if err := add("references.yaml", refs...); err != nil {
		return err
	}
	for _, p := range pods {
		for _, ctr := range p.Spec.Containers {
			fw, err := zw.Create("logs/" + p.Name + "_" + ctr.Name + ".log")
			if err != nil {
				return err
			}
			req := e.cs.CoreV1().Pods(e.ns).GetLogs(p.Name, &corev1.PodLogOptions{Container: ctr.Name, TailLines: &logLines})
			rc, err := req.Stream(ctx)
			if err != nil {
				fmt.Fprintf(fw, "no log: %v\n", err)
				continue
			}
			_, err = io.Copy(fw, rc)
			rc.Close()
			if err != nil {
				fmt.Fprintf(fw, "\nlog cut short: %v\n", err)
			}
		}
	}
	return zw.Close()
}

// redactSecret returns a copy of s with each value replaced by its size.
func redactSecret(s *corev1.Secret) *corev1.Secret {
	r := s.DeepCopy()
	r.Data = nil
	r.StringData = nil
	r.Annotations = nil // kubectl's last-applied-configuration holds the values
	r.ManagedFields = nil
	for k, v := range s.Data {
		if r.StringData == nil {
			r.StringData = map[string]string{}
		}
		r.StringData[k] = fmt.Sprintf("REDACTED (%d bytes)", len(v))
	}
	return r
}

// toYAML renders obj with its apiVersion and kind, without managed fields.
func toYAML(scheme *runtime.Scheme, obj client.Object) ([]byte, error) {
	obj = obj.DeepCopyObject().(client.Object)
	gvk, err := apiutil.GVKForObject(obj, scheme)
	if err != nil {
		return nil, err
	}
	obj.GetObjectKind().SetGroupVersionKind(gvk)
	obj.SetManagedFields(nil)
	return yaml.Marshal(obj)
}

// apiMetaItems returns the items of a typed list as objects.
func apiMetaItems(list client.ObjectList) ([]client.Object, error) {
	var out []client.Object
	switch l := list.(type) {
	case *appsv1.StatefulSetList:
		for i := range l.Items {
			out = append(out, &l.Items[i])
		}
	case *corev1.ServiceList:
		for i := range l.Items {
			out = append(out, &l.Items[i])
		}
	case *corev1.ConfigMapList:
		for i := range l.Items {
			out = append(out, &l.Items[i])
		}
	case *batchv1.JobList:
		for i := range l.Items {
			out = append(out, &l.Items[i])
		}
	case *policyv1.PodDisruptionBudgetList:
		for i := range l.Items {
			out = append(out, &l.Items[i])
		}
	default:
		return nil, fmt.Errorf("unexpected list %T", list)
	}
	return out, nil
}
