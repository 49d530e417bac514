package layering

import (
	"bufio"
	"bytes"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/fakecluster/fakecluster"

// rules say which packages of the module a package under a prefix must
// never depend on, directly or through others.
var rules = []struct {
	from   string
	never  []string
	reason string
}{
	{"pkg/kubelet", []string{"pkg/apiserver", "pkg/storage", "pkg/controller", "pkg/cluster", "pkg/network"},
		"a kubelet talks to the API only over client-go, so it can run in another process"},
	{"pkg/controller", []string{"pkg/apiserver", "pkg/storage", "pkg/kubelet", "pkg/cluster"},
		"controllers talk to the API only over client-go, as kube-controller-manager's"},
	{"pkg/apiserver", []string{"pkg/kubelet", "pkg/controller", "pkg/cluster", "pkg/network"},
		"the API server reaches kubelets over HTTP and knows no controller"},
	{"pkg/storage", []string{"pkg/apiserver", "pkg/allocator", "pkg/kubelet", "pkg/controller", "pkg/cluster"},
		"storage knows nothing of what it stores"},
	{"pkg/allocator", []string{"pkg/apiserver", "pkg/storage", "pkg/kubelet", "pkg/controller", "pkg/cluster"},
		"allocators are pure"},
	{"pkg/api", []string{"pkg/apiserver", "pkg/storage", "pkg/kubelet", "pkg/controller", "pkg/cluster"},
		"what the API server and the kubelet must agree on is pure and shared"},
	{"pkg/internal", []string{"pkg/apiserver", "pkg/storage", "pkg/kubelet", "pkg/controller", "pkg/cluster"},
		"what controllers and kubelets share belongs to neither"},
	{"pkg/network", []string{"pkg/apiserver", "pkg/storage", "pkg/kubelet", "pkg/controller", "pkg/cluster"},
		"the simulated network reads the API over client-go, as kube-proxy and CoreDNS do, and reaches pods through an interface"},
}

// pkg lists one package as the go command sees it.
type pkg struct {
	path    string // relative to the module, e.g. pkg/kubelet
	deps    []string
	imports []string
}

// list runs go list over the module: each package's transitive
// dependencies and direct imports, test files excluded.
func list(t *testing.T) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}\t{{join .Deps \" \"}}\t{{join .Imports \" \"}}", module+"/...").Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("go list: %v\n%s", err, stderr)
	}
	var pkgs []pkg
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 3 {
			t.Fatalf("go list line %q: want 3 fields", sc.Text())
		}
		pkgs = append(pkgs, pkg{path: rel(f[0]), deps: strings.Fields(f[1]), imports: strings.Fields(f[2])})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found %d packages; the module has more", len(pkgs))
	}
	return pkgs
}

func rel(importPath string) string {
	return strings.TrimPrefix(strings.TrimPrefix(importPath, module), "/")
}

// under reports whether path is prefix or inside it.
func under(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

// isHarness reports whether path is a test harness (clustertest,
// controllertest): these start whole clusters, so only tests may import
// them, and the rules above do not apply to them.
func isHarness(path string) bool {
	return strings.HasSuffix(path, "test")
}

func TestLayering(t *testing.T) {
	t.Parallel()
	pkgs := list(t)
	for _, p := range pkgs {
		for _, d := range p.deps {
			if under(d, "k8s.io/kubernetes") {
				t.Errorf("%s depends on %s: k8s.io/kubernetes is not a library (shared/DESIGN.md)", p.path, d)
			}
		}
		for _, imp := range p.imports {
			if strings.HasPrefix(imp, module+"/") && isHarness(rel(imp)) && !isHarness(p.path) {
				t.Errorf("%s imports the test harness %s outside its tests", p.path, rel(imp))
			}
		}
		if isHarness(p.path) {
			continue
		}
		for _, r := range rules {
			if !under(p.path, r.from) {
				continue
			}
			for _, d := range p.deps {
				if !strings.HasPrefix(d, module+"/") {
					continue
				}
				if i := slices.IndexFunc(r.never, func(n string) bool { return under(rel(d), n) }); i >= 0 {
					t.Errorf("%s depends on %s: %s", p.path, rel(d), r.reason)
				}
			}
		}
	}
}

// TestRulesCanFail checks the checker on a made-up graph, so that a rule
// that matches nothing cannot pass unnoticed.
func TestRulesCanFail(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		path, dep string
		want      bool
	}{
		{"pkg/kubelet/runtime", "pkg/apiserver/registry", true},
		{"pkg/controller/scheduler", "pkg/storage", true},
		{"pkg/apiserver", "pkg/kubelet", true},
		{"pkg/kubelet", "pkg/kubeletx", false},
		{"pkg/kubelet", "pkg/internal/workers", false},
		{"pkg/cluster", "pkg/apiserver", false},
	} {
		broken := false
		for _, r := range rules {
			if under(tt.path, r.from) && slices.ContainsFunc(r.never, func(n string) bool { return under(tt.dep, n) }) {
				broken = true
			}
		}
		if broken != tt.want {
			t.Errorf("%s -> %s: broken %v, want %v", tt.path, tt.dep, broken, tt.want)
		}
	}
}
