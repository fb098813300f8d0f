package v1alpha1

import (
	"testing"
	"time"
)

func TestParseDailyWindow(t *testing.T) {
	for _, tc := range []struct {
		in    string
		want  DailyWindow
		error bool
	}{
		{in: "05:00-06:00", want: DailyWindow{Start: 300, Length: 60}},
		{in: "23:30-01:00", want: DailyWindow{Start: 1410, Length: 90}},
		{in: "00:00-23:59", want: DailyWindow{Start: 0, Length: 1439}},
		{in: "05:00-05:59", error: true},
		{in: "05:00-05:00", error: true},
		{in: "24:00-01:00", error: true},
		{in: "5:00-6:00", error: true},
		{in: "05:00", error: true},
		{in: "05:60-07:00", error: true},
	} {
		got, err := ParseDailyWindow(tc.in)
		if (err != nil) != tc.error || got != tc.want {
			t.Errorf("ParseDailyWindow(%q) = %+v, %v; want %+v, error %v", tc.in, got, err, tc.want, tc.error)
		}
	}
}

func TestParseWeeklyWindow(t *testing.T) {
	for _, tc := range []struct {
		in    string
		want  WeeklyWindow
		error bool
	}{
		{in: "sun:23:00-mon:01:30", want: WeeklyWindow{Start: 1380, Length: 150}},
		{in: "sat:23:00-sun:00:30", want: WeeklyWindow{Start: 6*1440 + 1380, Length: 90}},
		{in: "wed:10:00-wed:11:00", want: WeeklyWindow{Start: 3*1440 + 600, Length: 60}},
		{in: "wed:10:00-wed:10:59", error: true},
		{in: "xyz:10:00-wed:12:00", error: true},
		{in: "Wed:10:00-wed:12:00", error: true},
		{in: "wed:10:00", error: true},
	} {
		got, err := ParseWeeklyWindow(tc.in)
		if (err != nil) != tc.error || got != tc.want {
			t.Errorf("ParseWeeklyWindow(%q) = %+v, %v; want %+v, error %v", tc.in, got, err, tc.want, tc.error)
		}
	}
}

func TestWindowContains(t *testing.T) {
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	daily, _ := ParseDailyWindow("23:30-01:00")
	weekly, _ := ParseWeeklyWindow("sat:23:00-sun:00:30")
	for _, tc := range []struct {
		name   string
		window interface{ Contains(time.Time) bool }
		t      string
		want   bool
	}{
		{"daily start", daily, "2026-03-04T23:30:00Z", true},
		{"daily past midnight", daily, "2026-03-05T00:59:00Z", true},
		{"daily end excluded", daily, "2026-03-05T01:00:00Z", false},
		{"daily before", daily, "2026-03-04T23:29:00Z", false},
		{"daily other zone", daily, "2026-03-05T01:45:00+02:00", true},
		{"weekly saturday night", weekly, "2026-03-07T23:10:00Z", true}, // a Saturday
		{"weekly sunday morning", weekly, "2026-03-08T00:10:00Z", true},
		{"weekly sunday later", weekly, "2026-03-08T00:40:00Z", false},
		{"weekly friday", weekly, "2026-03-06T23:10:00Z", false},
	} {
		if got := tc.window.Contains(at(tc.t)); got != tc.want {
			t.Errorf("%s: Contains(%s) = %v, want %v", tc.name, tc.t, got, tc.want)
		}
	}
}

func TestNames(t *testing.T) {
	c := &Cluster{}
	c.Name, c.Namespace = "orders", "shop"
	for _, tc := range []struct{ got, want string }{
		{c.LogName(), "orders-log"},
		{c.LogHeadlessName(), "orders-log-hl"},
		{c.ShardName(2), "orders-shard-2"},
		{c.ConfigName(), "orders-config"},
		{c.ACLSecretName(), "orders-acl"},
		{c.LogAddress(), "nats://orders-log.shop.svc:4222"},
		{c.EndpointAddress(), "orders.shop.svc"},
		{c.TLSSecretName(), "orders-tls"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	if c.EndpointPort() != 6379 {
		t.Errorf("EndpointPort() = %d, want 6379", c.EndpointPort())
	}
	c.Spec.TLS = &TLSSpec{Enabled: true, SecretName: "orders-cert"}
	if c.EndpointPort() != 6380 || c.TLSSecretName() != "orders-cert" {
		t.Errorf("with TLS: port %d, secret %q; want 6380, orders-cert", c.EndpointPort(), c.TLSSecretName())
	}
}
