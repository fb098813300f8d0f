package controllers

import (
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	mnemov1 "github.com/mnemo-dev/mnemo/api/v1alpha1"
	"github.com/mnemo-dev/mnemo/controllers/plan"
	"github.com/mnemo-dev/mnemo/controllers/specs"
)

// shardNode is one node of a CLUSTER SHARDS reply as RESP2 gives it.
func shardNode(host, role, health string) []any {
	return []any{"id", strings.Repeat("a", 40), "port", int64(6379), "ip", host, "endpoint", host, "hostname", host,
		"role", role, "replication-offset", int64(10), "health", health}
}

func TestParseClusterShards(t *testing.T) {
	pods := map[string]*corev1.Pod{}
	for _, p := range []struct{ name, shard string }{{"c-shard-0-0", "0"}, {"c-shard-0-1", "0"}, {"c-shard-1-0", "1"}, {"c-shard-2-0", "2"}} {
		pods[p.name] = &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: p.name, Labels: map[string]string{specs.LabelShard: p.shard}}}
	}
	podOf := func(host, port string) *corev1.Pod {
		name, _, _ := strings.Cut(host, ".")
		return pods[name]
	}
	reply := []any{
		[]any{"slots", []any{int64(0), int64(99), int64(200), int64(8191)}, "nodes", []any{
			shardNode("c-shard-0-1.c-shard-0.ns.svc", "replica", "online"),
			shardNode("c-shard-0-0.c-shard-0.ns.svc", "master", "online")}},
		[]any{"slots", []any{int64(100), int64(199), int64(8192), int64(16383)}, "nodes", []any{
			shardNode("c-shard-1-0.c-shard-1.ns.svc", "master", "fail")}},
		[]any{"slots", []any{}, "nodes", []any{shardNode("c-shard-2-0.c-shard-2.ns.svc", "master", "online")}},
		[]any{"slots", []any{}, "nodes", []any{shardNode("gone-0.gone.ns.svc", "master", "online")}},
	}
	live, err := parseClusterShards(reply, podOf)
	if err != nil {
		t.Fatal(err)
	}
	want := []plan.LiveShard{
		{Index: 0, Slots: plan.ParseSlots("0-99,200-8191"), Primary: "c-shard-0-0"},
		{Index: 1, Slots: plan.ParseSlots("100-199,8192-16383")},
		{Index: 2, Primary: "c-shard-2-0"},
	}
	if !reflect.DeepEqual(live.Shards, want) {
		t.Errorf("live map\n got %+v\nwant %+v", live.Shards, want)
	}
	// Slots served by nodes that are no pods of the Cluster: no answer
	// rather than a wrong one.
	_, err = parseClusterShards([]any{[]any{"slots", []any{int64(0), int64(16383)}, "nodes", []any{shardNode("x.y.ns.svc", "master", "online")}}}, podOf)
	if err == nil || !strings.Contains(err.Error(), "no running pods of the Cluster") {
		t.Errorf("unknown owner: %v", err)
	}
}

func TestParseSlotMigrations(t *testing.T) {
	reply := []any{
		[]any{"id", "ab12", "slots", "5462-8191", "source-shard", int64(0), "target-shard", int64(2), "state", "done",
			"keys-total", int64(10), "keys-sent", int64(10), "bytes-sent", int64(1000), "keys-dropped", int64(0),
			"percent", "100.0", "elapsed-ms", int64(900), "error", ""},
		map[any]any{"id": "cd34", "slots": "13653-16383", "source-shard": int64(1), "target-shard": int64(2), "state": "delta", "error": ""},
	}
	got := parseSlotMigrations(reply)
	want := []plan.SlotMigration{
		{ID: "ab12", From: 0, To: 2, Slots: "5462-8191", State: "done"},
		{ID: "cd34", From: 1, To: 2, Slots: "13653-16383", State: "delta"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got[0].Running() || !got[1].Running() {
		t.Errorf("running: %v %v", got[0].Running(), got[1].Running())
	}
}

func TestMigrateSlotsArgs(t *testing.T) {
	m := plan.Move{From: 0, To: 2, Slots: []mnemov1.SlotRange{{Start: 0, End: 99}, {Start: 200, End: 200}}}
	for _, tc := range []struct {
		name, user, password string
		want                 []any
	}{
		{"open access: the default user", "", "", []any{"CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", int32(0), int32(99), int32(200), int32(200), "SHARD", int32(2)}},
		{"the operator's user", specs.OperatorUser, "pw", []any{"CLUSTER", "MIGRATESLOTS", "SLOTSRANGE", int32(0), int32(99), int32(200), int32(200), "SHARD", int32(2), "AUTH2", specs.OperatorUser, "pw"}},
	} {
		if got := migrateSlotsArgs(m, tc.user, tc.password); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
