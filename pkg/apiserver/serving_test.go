package apiserver_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"text/tabwriter"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// kubectlTableAccept is the Accept header kubectl get sends.
const kubectlTableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"

func TestTable(t *testing.T) {
	t.Parallel()
	client := clustertest.Client(t, clustertest.StartControlPlane(t, cluster.Options{Controllers: withoutPodGC}))
	ctx := t.Context()
	pod := newPod("web", "default")
	pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{Name: "sidecar", Image: "envoy"})
	pod.Spec.NodeName = "worker0"
	if _, err := client.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	raw, err := client.CoreV1().RESTClient().Get().Namespace("default").Resource("pods").
		SetHeader("Accept", kubectlTableAccept).Param("includeObject", "Object").DoRaw(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var table metav1.Table
	if err := json.Unmarshal(raw, &table); err != nil {
		t.Fatalf("decode table: %v\n%s", err, raw)
	}
	if table.Kind != "Table" || table.APIVersion != "meta.k8s.io/v1" {
		t.Errorf("got %s %s, want a meta.k8s.io/v1 Table", table.APIVersion, table.Kind)
	}
	type column struct {
		Name     string
		Priority int32
	}
	var columns []column
	for _, c := range table.ColumnDefinitions {
		columns = append(columns, column{c.Name, c.Priority})
	}
	// kubectl get pods shows priority 0; -o wide adds priority 1.
	wantColumns := []column{
		{"Name", 0}, {"Ready", 0}, {"Status", 0}, {"Restarts", 0}, {"Age", 0},
		{"IP", 1}, {"Node", 1}, {"Nominated Node", 1}, {"Readiness Gates", 1},
	}
	if diff := cmp.Diff(wantColumns, columns); diff != "" {
		t.Fatalf("pod table columns (-want +got):\n%s", diff)
	}
	if len(table.Rows) != 1 {
		t.Fatalf("table has %d rows, want 1", len(table.Rows))
	}
	cells := table.Rows[0].Cells
	if len(cells) != len(wantColumns) {
		t.Fatalf("row has %d cells, want %d: %v", len(cells), len(wantColumns), cells)
	}
	if age, ok := cells[4].(string); !ok || !regexp.MustCompile(`^[0-9]+s$`).MatchString(age) {
		t.Errorf("age cell = %#v, want seconds such as \"0s\"", cells[4])
	}
	cells[4] = "AGE"
	want := []any{"web", "0/2", "Pending", "0", "AGE", "<none>", "worker0", "<none>", "<none>"}
	if diff := cmp.Diff(want, cells); diff != "" {
		t.Errorf("pod row (-want +got):\n%s", diff)
	}
	var obj corev1.Pod
	if err := json.Unmarshal(table.Rows[0].Object.Raw, &obj); err != nil || obj.Name != "web" || obj.Kind != "Pod" {
		t.Errorf("row object (includeObject=Object) = %s %s, %v; want the Pod web", obj.Kind, obj.Name, err)
	}

	t.Run("one object, metadata only", func(t *testing.T) {
		t.Parallel()
		raw, err := client.CoreV1().RESTClient().Get().Namespace("default").Resource("pods").Name("web").
			SetHeader("Accept", kubectlTableAccept).DoRaw(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var table metav1.Table
		if err := json.Unmarshal(raw, &table); err != nil {
			t.Fatal(err)
		}
		if len(table.Rows) != 1 {
			t.Fatalf("table of one pod has %d rows", len(table.Rows))
		}
		var partial metav1.PartialObjectMetadata
		if err := json.Unmarshal(table.Rows[0].Object.Raw, &partial); err != nil {
			t.Fatal(err)
		}
		// kubectl get -A and --show-labels need the row's metadata.
		if partial.Kind != "PartialObjectMetadata" || partial.Name != "web" || partial.Namespace != "default" {
			t.Errorf("row object = %s %s/%s, want PartialObjectMetadata default/web", partial.Kind, partial.Namespace, partial.Name)
		}
	})
}

func TestFieldValidation(t *testing.T) {
	t.Parallel()
	client := clustertest.Client(t, clustertest.StartControlPlane(t, cluster.Options{}))
	const unknownField = `{"apiVersion":"v1","kind":"Service","metadata":{"name":%q},
		"spec":{"ipFamily":"IPv4","ports":[{"port":80,"protocol":"TCP"}]}}`
	tests := []struct {
		name       string
		validation string
		body       string
		// wantErr is in the error message; "" means the create succeeds.
		wantErr     string
		wantWarning string
	}{{
		name:       "strict rejects an unknown field",
		validation: "Strict",
		body:       fmt.Sprintf(unknownField, "strict"),
		wantErr:    `strict decoding error: unknown field "spec.ipFamily"`,
	}, {
		name:       "strict rejects a duplicate field",
		validation: "Strict",
		body:       `{"apiVersion":"v1","kind":"Service","metadata":{"name":"dup","name":"dup2"},"spec":{"ports":[{"port":80,"protocol":"TCP"}]}}`,
		wantErr:    `strict decoding error: duplicate field "metadata.name"`,
	}, {
		name:        "warn accepts and warns",
		validation:  "Warn",
		body:        fmt.Sprintf(unknownField, "warn"),
		wantWarning: `unknown field "spec.ipFamily"`,
	}, {
		name:        "warn is the default",
		body:        fmt.Sprintf(unknownField, "default"),
		wantWarning: `unknown field "spec.ipFamily"`,
	}, {
		name:       "ignore accepts quietly",
		validation: "Ignore",
		body:       fmt.Sprintf(unknownField, "ignore"),
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := client.CoreV1().RESTClient().Post().Namespace("default").Resource("services").
				SetHeader("Content-Type", "application/json").Body([]byte(tt.body))
			if tt.validation != "" {
				req = req.Param("fieldValidation", tt.validation)
			}
			result := req.Do(t.Context())
			var warnings []string
			for _, w := range result.Warnings() {
				warnings = append(warnings, w.Text)
			}
			err := result.Error()
			if tt.wantErr != "" {
				if !apierrors.IsBadRequest(err) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want BadRequest containing %q", err, tt.wantErr)
				}
				var name struct {
					Metadata struct{ Name string }
				}
				if err := json.Unmarshal([]byte(tt.body), &name); err != nil {
					t.Fatal(err)
				}
				if _, err := client.CoreV1().Services("default").Get(t.Context(), name.Metadata.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
					t.Errorf("the rejected service exists (get: %v)", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("create: %v", err)
			}
			var code int
			result.StatusCode(&code)
			if code != http.StatusCreated {
				t.Errorf("status = %d, want 201", code)
			}
			var wantWarnings []string
			if tt.wantWarning != "" {
				wantWarnings = []string{tt.wantWarning}
			}
			if diff := cmp.Diff(wantWarnings, warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAPIResources is kubectl api-resources: every resource served, with its
// short names, group version, scope and kind.
func TestAPIResources(t *testing.T) {
	t.Parallel()
	client := clustertest.Client(t, clustertest.StartControlPlane(t, cluster.Options{}))
	lists, err := client.Discovery().ServerPreferredResources()
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, list := range lists {
		gv, err := schema.ParseGroupVersion(list.GroupVersion)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range list.APIResources {
			if strings.Contains(r.Name, "/") {
				continue
			}
			slices.Sort(r.Verbs)
			rows = append(rows, fmt.Sprintf("%s\t%s\t%s\t%t\t%s\t%s",
				r.Name, strings.Join(r.ShortNames, ","), gv, r.Namespaced, r.Kind, strings.Join(r.Verbs, ",")))
		}
	}
	slices.Sort(rows)
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 8, 3, ' ', 0)
	fmt.Fprintln(w, "NAME\tSHORTNAMES\tAPIVERSION\tNAMESPACED\tKIND\tVERBS")
	for _, row := range rows {
		fmt.Fprintln(w, row)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	golden(t, "api-resources.golden", b.String())
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(tb testing.TB, name, got string) {
	tb.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		tb.Errorf("%s (-want +got):\n%s\nrun go test -update to accept", path, diff)
	}
}
