package controllers

import (
	"context"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
	"github.com/mnemo-dev/mnemo/controllers/specs"
)

// applyACLFile writes a Cluster's rendered ACL file into its Secret, which
// the data nodes mount and re-read when it changes. When the write changed
// the file, it tells the people who changed something: ACLApplied on the
// Cluster, Applied on its ACL and on each User whose line was added or
// changed (a new password, a new access string). apply reports a change
// only for the update that made it, so each change is told once.
func (r *ClusterReconciler) applyACLFile(ctx context.Context, c *mnemov1.Cluster, aclUsers, fileUsers []specs.ResolvedUser) error {
	rendered := specs.RenderACL(c.Spec.ACLName, fileUsers)
	secret := specs.ACLSecret(c, rendered)
	op, before, err := r.applyFrom(ctx, secret)
	if err != nil {
		return err
	}
	noteApplied(ctx, r.Recorder, c, secret, op)
	if op == opNone || c.Spec.ACLName == mnemov1.OpenAccessACLName {
		return nil
	}
	old := ""
	if s, ok := before.(*corev1.Secret); ok {
		old = string(s.Data[specs.ACLFileKey])
	}
	names := make([]string, 0, len(aclUsers))
	for _, u := range aclUsers {
		names = append(names, u.Name)
	}
	d := diffACLFiles(old, rendered, names)
	what := d.String()
	logf.FromContext(ctx).Info("Applied ACL", "acl", c.Spec.ACLName, "changes", what)
	r.Recorder.Eventf(c, nil, corev1.EventTypeNormal, "ACLApplied", "Configure",
		"ACL %s written to Secret %s, which the data nodes reload: %s", c.Spec.ACLName, secret.Name, what)
	if d.empty() {
		return nil // only the operator's own user changed
	}
	var acl mnemov1.ACL
	if err := r.Get(ctx, client.ObjectKey{Namespace: c.Namespace, Name: c.Spec.ACLName}, &acl); client.IgnoreNotFound(err) != nil {
		return err
	} else if err == nil {
		r.Recorder.Eventf(&acl, c, corev1.EventTypeNormal, "Applied", "Configure", "Applied to Cluster %s: %s", c.Name, what)
	}
	for _, ch := range []struct {
		users []string
		how   string
	}{{d.added, "added"}, {d.changed, "changed (password or access string)"}} {
		for _, name := range ch.users {
			var u mnemov1.User
			if err := r.Get(ctx, client.ObjectKey{Namespace: c.Namespace, Name: name}, &u); client.IgnoreNotFound(err) != nil {
				return err
			} else if err != nil {
				continue
			}
			r.Recorder.Eventf(&u, c, corev1.EventTypeNormal, "Applied", "Configure",
				"Applied to Cluster %s (ACL %s): %s", c.Name, c.Spec.ACLName, ch.how)
		}
	}
	return nil
}

// aclDiff is how an ACL file changed, for the users of an ACL (the
// operator's own user and the disabled default user left out).
type aclDiff struct {
	added, changed, removed []string
}

func (d aclDiff) empty() bool {
	return len(d.added)+len(d.changed)+len(d.removed) == 0
}

// String reads "added alice, bob; changed carol; removed dave".
func (d aclDiff) String() string {
	var parts []string
	for _, p := range []struct {
		how   string
		users []string
	}{{"added", d.added}, {"changed", d.changed}, {"removed", d.removed}} {
		if len(p.users) > 0 {
			parts = append(parts, p.how+" "+strings.Join(p.users, ", "))
		}
	}
	if len(parts) == 0 {
		return "no user of the ACL changed"
	}
	return strings.Join(parts, "; ")
}

// diffACLFiles compares two ACL files user by user. users are the ACL's
// users now; a user in the old file and not in users was removed.
func diffACLFiles(old, now string, users []string) aclDiff {
	before, after := aclLines(old), aclLines(now)
	var d aclDiff
	for _, name := range slices.Sorted(slices.Values(users)) {
		line, ok := after[name]
		switch was, had := before[name]; {
		case !ok:
			// Left out of the file (its password Secret is missing): not
			// applied; the Cluster's Degraded condition says why.
		case !had:
			d.added = append(d.added, name)
		case was != line:
			d.changed = append(d.changed, name)
		}
	}
	for name := range before {
		if _, ok := after[name]; !ok && name != specs.OperatorUser && name != "default" {
			d.removed = append(d.removed, name)
		}
	}
	slices.Sort(d.removed)
	return d
}

// aclLines maps each user of an ACL file to its line.
func aclLines(file string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(file, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "user" {
			out[f[1]] = line
		}
	}
	return out
}
