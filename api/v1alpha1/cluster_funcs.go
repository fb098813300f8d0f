package v1alpha1

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// OpenAccessACLName is the built-in ACL that lets the default user in
// without a password.
const OpenAccessACLName = "open-access"

// Names of the objects a Cluster owns. Builders and reconcilers use these
// and nothing else, so names are made in one place.

// LogName is the name of the log servers' StatefulSet and client Service.
func (c *Cluster) LogName() string { return c.Name + "-log" }

// LogHeadlessName is the name of the log servers' headless Service, which
// gives each log pod the DNS name its routes use.
func (c *Cluster) LogHeadlessName() string { return c.Name + "-log-hl" }

// ShardName is the name of the Shard of that index, and of its StatefulSet,
// headless Service and PodDisruptionBudget.
func (c *Cluster) ShardName(index int32) string { return fmt.Sprintf("%s-shard-%d", c.Name, index) }

// ConfigName is the name of the ConfigMap holding the rendered parameters.
func (c *Cluster) ConfigName() string { return c.Name + "-config" }

// ACLSecretName is the name of the Secret holding the rendered ACL file.
func (c *Cluster) ACLSecretName() string { return c.Name + "-acl" }

// LogAddress is the log servers' client URL that nodes and snapshot Jobs
// connect to.
func (c *Cluster) LogAddress() string {
	return fmt.Sprintf("nats://%s.%s.svc:4222", c.LogName(), c.Namespace)
}

// PointInTimeSnapshotName names the Snapshot the operator builds for a
// Cluster's spec.restoreFrom.pointInTime: one per restoring Cluster, so
// that creating it is idempotent.
func (c *Cluster) PointInTimeSnapshotName() string {
	return c.Name + "-pitr"
}

// EndpointAddress is the DNS name of the cluster endpoint Service.
func (c *Cluster) EndpointAddress() string {
	return fmt.Sprintf("%s.%s.svc", c.Name, c.Namespace)
}

// S3SnapshotStore is the bucket the Cluster keeps its snapshots in, nil
// when they are kept in its log's JetStream object store.
func (c *Cluster) S3SnapshotStore() *S3SnapshotStore {
	if c.Spec.SnapshotStore == nil {
		return nil
	}
	return c.Spec.SnapshotStore.S3
}

// S3Prefix is the key prefix of the Cluster's snapshots in its bucket, a
// folder: spec.snapshotStore.s3.prefix, or <namespace>/<cluster> when
// unset, so Clusters sharing a bucket keep apart by default; with a '/'
// added when it has none, since the store prepends it to
// shard-<n>/<name> as it is.
func (c *Cluster) S3Prefix() string {
	p := c.Namespace + "/" + c.Name
	if s3 := c.S3SnapshotStore(); s3 != nil && s3.Prefix != "" {
		p = s3.Prefix
	}
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p
}

// TLSEnabled reports whether clients must use TLS.
func (c *Cluster) TLSEnabled() bool { return c.Spec.TLS != nil && c.Spec.TLS.Enabled }

// TLSSecretName is the Secret holding the nodes' certificate: the one named
// in spec.tls, or <cluster>-tls when a cert-manager issuer makes it.
func (c *Cluster) TLSSecretName() string {
	if c.Spec.TLS != nil && c.Spec.TLS.SecretName != "" {
		return c.Spec.TLS.SecretName
	}
	return c.Name + "-tls"
}

// ClientPort is the plain-text client port of every node.
func (c *Cluster) ClientPort() int32 {
	if c.Spec.Port == 0 {
		return 6379
	}
	return c.Spec.Port
}

// TLSPort is the TLS client port of every node, used when TLS is on.
func (c *Cluster) TLSPort() int32 { return c.ClientPort() + 1 }

// EndpointPort is the port clients connect to: the TLS port with TLS on.
func (c *Cluster) EndpointPort() int32 {
	if c.TLSEnabled() {
		return c.TLSPort()
	}
	return c.ClientPort()
}

// WasEverAvailable reports whether the Cluster has served: a restore
// source matters only until then.
func (c *Cluster) WasEverAvailable() bool {
	switch c.Status.Phase {
	case ClusterAvailable, ClusterUpdating, ClusterSnapshotting:
		return true
	}
	return false
}

// NodesPerShard is 1 (the primary) plus the replicas.
func (c *Cluster) NodesPerShard() int32 { return 1 + c.Spec.NumReplicasPerShard }

// DailyWindow is a daily time range in UTC, as snapshotWindow gives it.
type DailyWindow struct {
	// Start is minutes after midnight.
	Start int
	// Length is the window's length in minutes; it may run past midnight.
	Length int
}

// ParseDailyWindow parses hh24:mi-hh24:mi. The CRD's CEL rules accept the
// same strings; this is for scheduling.
func ParseDailyWindow(s string) (DailyWindow, error) {
	from, to, ok := strings.Cut(s, "-")
	if !ok {
		return DailyWindow{}, fmt.Errorf("window %q: want hh24:mi-hh24:mi", s)
	}
	start, err := parseClock(from)
	if err != nil {
		return DailyWindow{}, fmt.Errorf("window %q: %w", s, err)
	}
	end, err := parseClock(to)
	if err != nil {
		return DailyWindow{}, fmt.Errorf("window %q: %w", s, err)
	}
	w := DailyWindow{Start: start, Length: ((end-start)%1440 + 1440) % 1440}
	if w.Length < 60 {
		return DailyWindow{}, fmt.Errorf("window %q: shorter than 60 minutes", s)
	}
	return w, nil
}

// Contains reports whether t, in UTC, falls in the window.
func (w DailyWindow) Contains(t time.Time) bool {
	t = t.UTC()
	m := t.Hour()*60 + t.Minute()
	return ((m-w.Start)%1440+1440)%1440 < w.Length
}

// WeeklyWindow is a weekly time range in UTC, as maintenanceWindow gives it.
type WeeklyWindow struct {
	// Start is minutes after Sunday midnight.
	Start int
	// Length is the window's length in minutes; it may run past Saturday.
	Length int
}

var weekdays = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// ParseWeeklyWindow parses ddd:hh24:mi-ddd:hh24:mi.
func ParseWeeklyWindow(s string) (WeeklyWindow, error) {
	from, to, ok := strings.Cut(s, "-")
	if !ok {
		return WeeklyWindow{}, fmt.Errorf("window %q: want ddd:hh24:mi-ddd:hh24:mi", s)
	}
	start, err := parseWeekClock(from)
	if err != nil {
		return WeeklyWindow{}, fmt.Errorf("window %q: %w", s, err)
	}
	end, err := parseWeekClock(to)
	if err != nil {
		return WeeklyWindow{}, fmt.Errorf("window %q: %w", s, err)
	}
	const week = 7 * 1440
	w := WeeklyWindow{Start: start, Length: ((end-start)%week + week) % week}
	if w.Length < 60 {
		return WeeklyWindow{}, fmt.Errorf("window %q: shorter than 60 minutes", s)
	}
	return w, nil
}

// Contains reports whether t, in UTC, falls in the window.
func (w WeeklyWindow) Contains(t time.Time) bool {
	const week = 7 * 1440
	t = t.UTC()
	m := int(t.Weekday())*1440 + t.Hour()*60 + t.Minute()
	return ((m-w.Start)%week+week)%week < w.Length
}

func parseWeekClock(s string) (int, error) {
	day, clock, ok := strings.Cut(s, ":")
	if !ok {
		return 0, fmt.Errorf("%q: want ddd:hh24:mi", s)
	}
	for i, d := range weekdays {
		if d == day {
			m, err := parseClock(clock)
			return i*1440 + m, err
		}
	}
	return 0, fmt.Errorf("%q: day must be one of %s", s, strings.Join(weekdays, ", "))
}

func parseClock(s string) (int, error) {
	hh, mm, ok := strings.Cut(s, ":")
	if !ok || len(hh) != 2 || len(mm) != 2 {
		return 0, fmt.Errorf("%q: want hh24:mi", s)
	}
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if err1 != nil || err2 != nil || h < 0 || h > 23 || m < 0 || m > 59 {
		return 0, fmt.Errorf("%q: want hh24:mi", s)
	}
	return h*60 + m, nil
}

// ClusterShardsFlag is the data nodes' --cluster-shards: the shard count
// recorded when the Cluster was first seen (status.bootstrapShards), and
// spec.numShards until it is recorded. It only seeds the slot map the
// first node creates, so it stays fixed while numShards changes.
func (c *Cluster) ClusterShardsFlag() int32 {
	if c.Status.BootstrapShards > 0 {
		return c.Status.BootstrapShards
	}
	return c.Spec.NumShards
}

// GetResharding returns the resharding in progress, nil when there is
// none; p may be nil.
func (p *PendingUpdates) GetResharding() *ReshardingStatus {
	if p == nil {
		return nil
	}
	return p.Resharding
}
