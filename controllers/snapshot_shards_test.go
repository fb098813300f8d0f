package controllers

import (
	"fmt"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
	"github.com/mnemo-dev/mnemo/controllers/plan"
)

// A Snapshot reports the slots each shard owns as the Shards' specs say
// (the live map after a resharding), not a balanced split of numShards.
func TestSnapshotShards(t *testing.T) {
	c := &mnemov1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "orders", UID: "uid-orders"},
		Spec: mnemov1.ClusterSpec{NumShards: 3}, Status: mnemov1.ClusterStatus{BootstrapShards: 2}}
	owned := metav1.OwnerReference{APIVersion: "mnemo.dev/v1alpha1", Kind: "Cluster", Name: "orders", UID: "uid-orders", Controller: ptr.To(true)}
	shard := func(index int32, slots string, owner bool) mnemov1.Shard {
		s := mnemov1.Shard{ObjectMeta: metav1.ObjectMeta{Name: c.ShardName(index)},
			Spec: mnemov1.ShardSpec{ClusterName: "orders", Index: index, SlotRanges: plan.ParseSlots(slots)}}
		if slots == "" {
			s.Spec.SlotRanges = nil
		}
		if owner {
			s.OwnerReferences = []metav1.OwnerReference{owned}
		}
		return s
	}
	for _, tc := range []struct {
		name   string
		shards []mnemov1.Shard
		want   string
	}{
		{"no Shards yet: the bootstrap split", nil, "0:0-8191 1:8192-16383"},
		{"resharded 2 → 3, out of order", []mnemov1.Shard{shard(2, "5000-5460,10923-16383", true), shard(0, "0-4999", true), shard(1, "5461-10922", true)},
			"0:0-4999 1:5461-10922 2:5000-5460,10923-16383"},
		{"a new Shard without slots yet is left out", []mnemov1.Shard{shard(0, "0-8191", true), shard(1, "8192-16383", true), shard(2, "", true)},
			"0:0-8191 1:8192-16383"},
		{"a Shard being emptied still counts", []mnemov1.Shard{shard(0, "0-100", true), shard(1, "101-16382", true), shard(3, "16383", true)},
			"0:0-100 1:101-16382 3:16383"},
		{"another Cluster's Shard is not ours", []mnemov1.Shard{shard(0, "0-16383", true), shard(1, "0-16383", false)}, "0:0-16383"},
	} {
		var got string
		for i, s := range snapshotShards(c, tc.shards) {
			if i > 0 {
				got += " "
			}
			got += fmt.Sprintf("%d:%s", s.Index, s.Slots)
		}
		if got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}
