package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden with what the kubectl go.mod pins prints now (steps marked as known bugs keep their golden)")

// bin holds the binaries TestMain builds, once for the whole package.
var bin struct {
	fakecluster string
	kubectl     string
	// kubectlVersion is the version stamped into kubectl, e.g. v1.37.2,
	// and kubectlMinor its minor, e.g. 37.
	kubectlVersion, kubectlMinor string
}

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	if testing.Short() {
		return m.Run() // every test skips itself
	}
	dir, err := os.MkdirTemp("", "fakecluster-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := build(dir); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	return m.Run()
}

// build builds fakecluster and kubectl into dir with the go command on PATH
// (go test puts its own first), from the module that holds this package.
func build(dir string) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	goCmd := func(args ...string) ([]byte, error) {
		cmd := exec.Command("go", args...)
		cmd.Dir = root
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
		}
		return out, nil
	}

	// kubectl is stamped with the Kubernetes release that matches the
	// k8s.io/kubectl module go.mod pins (v0.37.2 is Kubernetes v1.37.2).
	out, err := goCmd("list", "-m", "-f", "{{.Version}}", "k8s.io/kubectl")
	if err != nil {
		return err
	}
	mod := strings.TrimSpace(string(out))
	major, minor, ok := kubeRelease(mod)
	if !ok {
		return fmt.Errorf("k8s.io/kubectl %s: want a v0.MINOR.PATCH module version", mod)
	}
	bin.kubectlVersion = "v" + major + strings.TrimPrefix(mod, "v0")
	bin.kubectlMinor = minor
	bin.fakecluster = filepath.Join(dir, "fakecluster")
	bin.kubectl = filepath.Join(dir, "kubectl")
	ldflags := strings.Join([]string{
		"-X k8s.io/component-base/version.gitVersion=" + bin.kubectlVersion,
		"-X k8s.io/component-base/version.gitMajor=" + major,
		"-X k8s.io/component-base/version.gitMinor=" + minor,
		"-X k8s.io/component-base/version.gitTreeState=clean",
		"-X k8s.io/component-base/version.buildDate=" + time.Now().UTC().Format(time.RFC3339),
	}, " ")

	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Go(func() { _, errs[0] = goCmd("build", "-o", bin.fakecluster, "./cmd/fakecluster") })
	wg.Go(func() { _, errs[1] = goCmd("build", "-ldflags", ldflags, "-o", bin.kubectl, "./internal/kubectl") })
	wg.Wait()
	return errors.Join(errs...)
}

// kubeRelease maps a k8s.io staging module version (v0.37.2) to the
// Kubernetes release's major and minor ("1", "37").
func kubeRelease(modVersion string) (major, minor string, ok bool) {
	parts := strings.Split(strings.TrimPrefix(modVersion, "v"), ".")
	if len(parts) != 3 || parts[0] != "0" {
		return "", "", false
	}
	return "1", parts[1], true
}

// moduleRoot is the nearest directory at or above the working directory
// (go test runs a test in its package's directory) that holds go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod at or above the working directory")
		}
		dir = parent
	}
}

// A client is one kubectl binary the scenarios run with.
type client struct {
	name string // subtest name
	path string
	// skew: a minor other than the one go.mod pins, whose output may differ;
	// steps marked versionSpecific are checked only for their exit code.
	skew bool
}

// clients are the kubectl built from go.mod and, when there is one on PATH,
// the system's.
func clients(t *testing.T) []client {
	cs := []client{{name: "kubectl-" + bin.kubectlVersion, path: bin.kubectl}}
	path, err := exec.LookPath("kubectl")
	if err != nil {
		t.Logf("no kubectl on PATH: running the scenarios with %s only", bin.kubectlVersion)
		return cs
	}
	out, err := exec.Command(path, "version", "--client", "-o", "json").Output()
	if err != nil {
		t.Fatalf("%s version --client: %v", path, err)
	}
	var v struct {
		ClientVersion struct{ GitVersion, Minor string }
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("%s version --client -o json: %v\n%s", path, err, out)
	}
	return append(cs, client{
		name: "system-kubectl-" + v.ClientVersion.GitVersion,
		path: path,
		skew: strings.TrimSuffix(v.ClientVersion.Minor, "+") != bin.kubectlMinor,
	})
}
