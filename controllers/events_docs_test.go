package controllers_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestEventReasonsDocumented keeps docs/operations.md's Events table and
// the Events the operator records in step: every reason an Eventf call in
// controllers/ can record is in the table, and every reason in the table
// is recorded somewhere. Reasons are read from the source: string
// literals, the api package's constants, and, for the calls whose reason
// is a variable, the values that variable can take (below), so a new
// Event fails this test until it is documented.
func TestEventReasonsDocumented(t *testing.T) {
	api := parseDir(t, filepath.Join("..", "api", "v1alpha1"))
	consts, typed := apiConstants(api)
	ctrl := parseDir(t, ".")
	plan := parseDir(t, "plan")

	recorded := map[string][]string{} // reason → where
	add := func(reason, where string) {
		if !regexp.MustCompile(`^[A-Z][a-zA-Z]+$`).MatchString(reason) {
			t.Errorf("%s: reason %q is not CamelCase", where, reason)
		}
		recorded[reason] = append(recorded[reason], where)
	}
	// resolve is the value of a constant of the api package, or "".
	resolve := func(e ast.Expr) string {
		if call, ok := e.(*ast.CallExpr); ok && len(call.Args) == 1 && types.ExprString(call.Fun) == "string" {
			e = call.Args[0] // string(mnemov1.SnapshotCreating)
		}
		if sel, ok := e.(*ast.SelectorExpr); ok && types.ExprString(sel.X) == "mnemov1" {
			return consts[sel.Sel.Name]
		}
		if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			s, _ := strconv.Unquote(lit.Value)
			return s
		}
		return ""
	}
	degraded := degradedReasons(append(slices.Clone(ctrl), plan...), resolve)
	if len(degraded) < 5 {
		t.Fatalf("found only %v as the Cluster's Degraded reasons; has the code changed shape?", degraded)
	}
	calls := 0
	for _, f := range ctrl {
		ast.Inspect(f.file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "Eventf" || len(call.Args) < 5 {
				return true
			}
			calls++
			where := f.fset.Position(call.Pos()).String()
			arg := call.Args[3]
			if r := resolve(arg); r != "" {
				add(r, where)
				return true
			}
			// A reason held in a variable: the values it can take.
			var values []string
			switch expr := types.ExprString(arg); expr {
			case "string(health.Phase)":
				values = typed["ClusterPhase"]
			case "string(phase)":
				values = typed["SnapshotPhase"]
			case "d.Reason": // the Cluster's Degraded condition
				values = degraded
			case "ready.Reason": // a Ready condition gone False, in this file
				values = falseConditionReasons(f.file, resolve)
			default:
				t.Errorf("%s: cannot tell which reasons %s can be; list them in this test", where, expr)
			}
			if len(values) == 0 {
				t.Errorf("%s: found no reasons for %s", where, types.ExprString(arg))
			}
			for _, v := range values {
				add(v, where)
			}
			return true
		})
	}
	if calls < 30 {
		t.Fatalf("found only %d Eventf calls in controllers/", calls)
	}

	documented := documentedReasons(t, filepath.Join("..", "docs", "operations.md"))
	for _, r := range slices.Sorted(mapKeys(recorded)) {
		if !documented[r] {
			t.Errorf("reason %s (recorded at %s) is missing from docs/operations.md's Events table", r, strings.Join(recorded[r], ", "))
		}
	}
	for _, r := range slices.Sorted(mapKeys(documented)) {
		if _, ok := recorded[r]; !ok {
			t.Errorf("docs/operations.md's Events table lists %s, which no Eventf call in controllers/ records", r)
		}
	}
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

type goFile struct {
	fset *token.FileSet
	file *ast.File
}

// parseDir parses the Go files of a folder, tests left out.
func parseDir(t *testing.T, dir string) []goFile {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out []goFile
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, goFile{fset, f})
	}
	return out
}

// apiConstants reads the string constants of the api package: by name,
// and the values of each named type (ClusterPhase → Creating, …).
func apiConstants(files []goFile) (map[string]string, map[string][]string) {
	consts, typed := map[string]string{}, map[string][]string{}
	for _, f := range files {
		for _, decl := range f.file.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					v, _ := strconv.Unquote(lit.Value)
					consts[name.Name] = v
					if vs.Type != nil {
						typ := types.ExprString(vs.Type)
						typed[typ] = append(typed[typ], v)
					}
				}
			}
		}
	}
	return consts, typed
}

// degradedReasons are the reasons a Cluster's Degraded condition can
// have: those of every Problem the controllers and plan make, and those
// plan.ClusterHealth sets itself (cond(ConditionDegraded, true, …)).
func degradedReasons(files []goFile, resolve func(ast.Expr) string) []string {
	seen := map[string]bool{}
	for _, f := range files {
		ast.Inspect(f.file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CompositeLit:
				if n.Type == nil || !strings.HasSuffix(types.ExprString(n.Type), "Problem") {
					return true
				}
				for _, el := range n.Elts {
					if kv, ok := el.(*ast.KeyValueExpr); ok && types.ExprString(kv.Key) == "Reason" {
						if r := resolve(kv.Value); r != "" {
							seen[r] = true
						}
					}
				}
			case *ast.CallExpr:
				switch fn := types.ExprString(n.Fun); {
				case fn == "problem" && len(n.Args) > 0:
					if r := resolve(n.Args[0]); r != "" {
						seen[r] = true
					}
				case fn == "cond" && len(n.Args) == 4 && types.ExprString(n.Args[0]) == "mnemov1.ConditionDegraded" && types.ExprString(n.Args[1]) == "true":
					if r := resolve(n.Args[2]); r != "" {
						seen[r] = true
					}
				}
			}
			return true
		})
	}
	return slices.Sorted(mapKeys(seen))
}

// falseConditionReasons are the reasons of the conditions with status
// False that a file builds (metav1.Condition{Status: False, Reason: …}).
func falseConditionReasons(f *ast.File, resolve func(ast.Expr) string) []string {
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		lit, ok := n.(*ast.CompositeLit)
		if !ok || lit.Type == nil || types.ExprString(lit.Type) != "metav1.Condition" {
			return true
		}
		var status, reason string
		for _, el := range lit.Elts {
			if kv, ok := el.(*ast.KeyValueExpr); ok {
				switch types.ExprString(kv.Key) {
				case "Status":
					status = types.ExprString(kv.Value)
				case "Reason":
					reason = resolve(kv.Value)
				}
			}
		}
		if status == "metav1.ConditionFalse" && reason != "" {
			out = append(out, reason)
		}
		return true
	})
	return out
}

// documentedReasons reads the reasons (in backquotes, second column) of
// the table under "## Events" in a markdown file.
func documentedReasons(t *testing.T, path string) map[string]bool {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "\n## Events\n")
	if !ok {
		t.Fatalf("%s has no \"## Events\" section", path)
	}
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	out := map[string]bool{}
	code := regexp.MustCompile("`([^`]+)`")
	rows := 0
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if !strings.HasPrefix(line, "|") || len(cells) < 4 || strings.Contains(cells[2], "---") || strings.TrimSpace(cells[2]) == "reason" {
			continue
		}
		rows++
		for _, m := range code.FindAllStringSubmatch(cells[2], -1) {
			out[m[1]] = true
		}
	}
	if rows == 0 {
		t.Fatalf("%s: no table rows under \"## Events\"", path)
	}
	return out
}
