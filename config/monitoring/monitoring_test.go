package monitoring

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"text/template"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"
	"sigs.k8s.io/yaml"
)

// documented returns the metric names docs/operations.md documents: every
// `mnemo_…` or `controller_runtime_…` name in backquotes.
func documented(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, m := range regexp.MustCompile("`((?:mnemo|controller_runtime)_[a-z_]+)").FindAllStringSubmatch(string(b), -1) {
		names[m[1]] = true
	}
	return names
}

// checkExpr parses expr with the PromQL parser and checks that every
// Mnemo metric it selects is documented.
func checkExpr(t *testing.T, where, expr string, docs map[string]bool) {
	t.Helper()
	e, err := parser.ParseExpr(expr)
	if err != nil {
		t.Errorf("%s: %v\n%s", where, err, expr)
		return
	}
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		name := vs.Name
		if !strings.HasPrefix(name, "mnemo_") && !strings.HasPrefix(name, "controller_runtime_") {
			return nil
		}
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if base, ok := strings.CutSuffix(name, suffix); ok && docs[base] {
				name = base
			}
		}
		if !docs[name] {
			t.Errorf("%s: %s is not documented in docs/operations.md", where, vs.Name)
		}
		return nil
	})
}

type ruleFile struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name   string            `json:"name"`
		Labels map[string]string `json:"labels"`
	} `json:"metadata"`
	Spec struct {
		Groups []struct {
			Name  string `json:"name"`
			Rules []struct {
				Alert       string            `json:"alert"`
				Expr        string            `json:"expr"`
				For         string            `json:"for"`
				Labels      map[string]string `json:"labels"`
				Annotations map[string]string `json:"annotations"`
			} `json:"rules"`
		} `json:"groups"`
	} `json:"spec"`
}

// templateFuncs stand in for Prometheus's alert template functions, so
// the annotations' templates can be parsed.
var templateFuncs = template.FuncMap{
	"humanize": fmtAny, "humanizeDuration": fmtAny, "humanizePercentage": fmtAny, "humanize1024": fmtAny,
}

func fmtAny(any) string { return "" }

func TestPrometheusRule(t *testing.T) {
	b, err := os.ReadFile("prometheusrule.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var rf ruleFile
	if err := yaml.UnmarshalStrict(b, &rf, yaml.DisallowUnknownFields); err != nil {
		t.Fatalf("prometheusrule.yaml: %v", err)
	}
	if rf.APIVersion != "monitoring.coreos.com/v1" || rf.Kind != "PrometheusRule" {
		t.Fatalf("apiVersion %q kind %q", rf.APIVersion, rf.Kind)
	}
	docs := documented(t)
	var alerts []string
	for _, g := range rf.Spec.Groups {
		for _, r := range g.Rules {
			where := g.Name + "/" + r.Alert
			alerts = append(alerts, r.Alert)
			checkExpr(t, where, r.Expr, docs)
			if r.For != "" {
				if _, err := model.ParseDuration(r.For); err != nil {
					t.Errorf("%s: for %q: %v", where, r.For, err)
				}
			}
			switch r.Labels["severity"] {
			case "critical", "warning", "info":
			default:
				t.Errorf("%s: severity %q, want critical, warning or info", where, r.Labels["severity"])
			}
			if r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("%s: needs a summary and a description", where)
			}
			for k, v := range r.Annotations {
				// Prometheus defines these variables before expanding.
				const defs = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$value := .Value}}"
				if _, err := template.New(k).Funcs(templateFuncs).Parse(defs + v); err != nil {
					t.Errorf("%s: annotation %s: %v", where, k, err)
				}
			}
			if !strings.Contains(docsText(t), r.Alert) {
				t.Errorf("%s: alert not described in docs/operations.md", where)
			}
		}
	}
	// The alerts the design asks for.
	for _, want := range []string{"MnemoPrimaryMissing", "MnemoReplicaLagHigh", "MnemoLogQuorumLost",
		"MnemoMemoryNearMax", "MnemoSnapshotTooOld", "MnemoReconcileErrors"} {
		if !slices.Contains(alerts, want) {
			t.Errorf("no %s alert", want)
		}
	}
}

func docsText(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type dashboard struct {
	Title      string `json:"title"`
	UID        string `json:"uid"`
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Query any    `json:"query"`
		} `json:"list"`
	} `json:"templating"`
	Panels []panel `json:"panels"`
}

type panel struct {
	ID      int    `json:"id"`
	Type    string `json:"type"`
	Title   string `json:"title"`
	GridPos struct {
		H, W, X, Y int
	} `json:"gridPos"`
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
	Panels []panel `json:"panels"`
}

// grafanaVars are the dashboard's variables with values that make the
// expressions plain PromQL.
var grafanaVars = strings.NewReplacer("$__rate_interval", "5m", "$namespace", "ns", "$cluster", "c", "${datasource}", "prom")

func TestGrafanaDashboard(t *testing.T) {
	b, err := os.ReadFile("dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("dashboard.json: %v", err)
	}
	if d.Title == "" || d.UID == "" {
		t.Errorf("title %q uid %q: both are needed for provisioning", d.Title, d.UID)
	}
	vars := map[string]bool{}
	for _, v := range d.Templating.List {
		vars[v.Name] = true
	}
	for _, v := range []string{"datasource", "namespace", "cluster"} {
		if !vars[v] {
			t.Errorf("no $%s variable", v)
		}
	}
	docs := documented(t)
	ids := map[int]bool{}
	rows, exprs := 0, 0
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			if ids[p.ID] {
				t.Errorf("panel id %d used twice", p.ID)
			}
			ids[p.ID] = true
			if p.GridPos.W <= 0 || p.GridPos.H <= 0 || p.GridPos.X+p.GridPos.W > 24 {
				t.Errorf("panel %q: grid position %+v", p.Title, p.GridPos)
			}
			if p.Type == "row" {
				rows++
				walk(p.Panels)
				continue
			}
			if len(p.Targets) == 0 {
				t.Errorf("panel %q has no query", p.Title)
			}
			for _, tg := range p.Targets {
				exprs++
				checkExpr(t, "panel "+p.Title+"/"+tg.RefID, grafanaVars.Replace(tg.Expr), docs)
			}
		}
	}
	walk(d.Panels)
	if rows < 5 || exprs < 20 {
		t.Errorf("%d rows and %d queries: the overview, throughput and latency, log, replication and memory rows are expected", rows, exprs)
	}
}

func TestKustomizationListsEveryAsset(t *testing.T) {
	b, err := os.ReadFile("kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"podmonitor-nodes.yaml", "podmonitor-operator.yaml", "prometheusrule.yaml", "dashboard.json"} {
		if !strings.Contains(string(b), f) {
			t.Errorf("kustomization.yaml does not list %s", f)
		}
		if _, err := os.Stat(f); err != nil {
			t.Error(err)
		}
	}
}
