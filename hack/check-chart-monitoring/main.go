// Command check-chart-monitoring checks the monitoring objects of a
// rendered chart (helm template with monitoring on, the file given as its
// argument): the PodMonitor is there, every alert expression of the
// PrometheusRule parses as PromQL, and the dashboard ConfigMap holds JSON
// whose panel expressions parse too. make check-chart runs it.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/prometheus/prometheus/promql/parser"
	"sigs.k8s.io/yaml"
)

type object struct {
	Kind string `json:"kind"`
	Spec struct {
		Groups []struct {
			Name  string `json:"name"`
			Rules []struct {
				Alert string `json:"alert"`
				Expr  string `json:"expr"`
			} `json:"rules"`
		} `json:"groups"`
	} `json:"spec"`
	Data map[string]string `json:"data"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: check-chart-monitoring RENDERED.yaml")
		os.Exit(2)
	}
	if err := check(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "check-chart-monitoring:", err)
		os.Exit(1)
	}
}

func check(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	seen := map[string]int{}
	for _, doc := range bytes.Split(b, []byte("\n---")) {
		var o object
		if err := yaml.Unmarshal(doc, &o); err != nil {
			return fmt.Errorf("a rendered document does not parse: %w", err)
		}
		switch o.Kind {
		case "PodMonitor":
			seen["PodMonitor"]++
		case "PrometheusRule":
			seen["PrometheusRule"]++
			n := 0
			for _, g := range o.Spec.Groups {
				for _, r := range g.Rules {
					if _, err := parser.ParseExpr(r.Expr); err != nil {
						return fmt.Errorf("alert %s (group %s): %w", r.Alert, g.Name, err)
					}
					n++
				}
			}
			if n == 0 {
				return fmt.Errorf("the PrometheusRule has no rules")
			}
		case "ConfigMap":
			if d, ok := o.Data["mnemo.json"]; ok {
				seen["dashboard"]++
				if err := checkDashboard(d); err != nil {
					return err
				}
			}
		}
	}
	for _, want := range []string{"PodMonitor", "PrometheusRule", "dashboard"} {
		if seen[want] != 1 {
			return fmt.Errorf("want one %s in the rendered chart, found %d", want, seen[want])
		}
	}
	return nil
}

// checkDashboard parses the dashboard and every panel's query expression.
func checkDashboard(s string) error {
	var d struct {
		Panels []panel `json:"panels"`
	}
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		return fmt.Errorf("the dashboard is not JSON: %w", err)
	}
	n := 0
	var walk func([]panel) error
	walk = func(ps []panel) error {
		for _, p := range ps {
			for _, t := range p.Targets {
				if t.Expr == "" {
					continue
				}
				if _, err := parser.ParseExpr(grafanaVars.Replace(t.Expr)); err != nil {
					return fmt.Errorf("dashboard panel %q: %w", p.Title, err)
				}
				n++
			}
			if err := walk(p.Panels); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(d.Panels); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("the dashboard has no queries")
	}
	return nil
}

// grafanaVars stands in for the dashboard's variables, which are not PromQL.
var grafanaVars = strings.NewReplacer("$__rate_interval", "5m", "$namespace", "ns", "$cluster", "c", "${datasource}", "prom")

type panel struct {
	Title   string  `json:"title"`
	Panels  []panel `json:"panels"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
}
