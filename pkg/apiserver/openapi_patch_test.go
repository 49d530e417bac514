package apiserver_test

import (
	"encoding/json"
	"testing"

	"github.com/fakecluster/fakecluster/pkg/cluster"
	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

// TestPatchOperationsValidateFields checks the OpenAPI v3 documents as
// kubectl's field-validation check reads them: it takes the first PATCH
// operation tagged with an object's kind, in map order, and validates on
// the client unless that operation has fieldValidation. So the PATCH
// operations of one kind must agree, and no PATCH of another endpoint (a
// proxy subresource, say) may carry a resource's kind: upstream tags them
// with the options kind (ServiceProxyOptions…).
func TestPatchOperationsValidateFields(t *testing.T) {
	t.Parallel()
	client := clustertest.Client(t, clustertest.StartControlPlane(t, cluster.Options{}))
	root, err := client.Discovery().RESTClient().Get().AbsPath("/openapi/v3").DoRaw(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var index struct {
		Paths map[string]struct{ ServerRelativeURL string } `json:"paths"`
	}
	if err := json.Unmarshal(root, &index); err != nil {
		t.Fatal(err)
	}
	for gv, p := range index.Paths {
		doc, err := client.Discovery().RESTClient().Get().AbsPath("/openapi/v3/" + gv).DoRaw(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		var spec struct {
			Paths map[string]struct {
				Patch *struct {
					GVK    map[string]string       `json:"x-kubernetes-group-version-kind"`
					Params []struct{ Name string } `json:"parameters"`
				} `json:"patch"`
			} `json:"paths"`
		}
		if err := json.Unmarshal(doc, &spec); err != nil {
			t.Fatalf("%s (%s): %v", gv, p.ServerRelativeURL, err)
		}
		// with and without are the paths of PATCH operations by kind, with
		// fieldValidation and without.
		with, without := map[string][]string{}, map[string][]string{}
		for path, ops := range spec.Paths {
			if ops.Patch == nil || ops.Patch.GVK == nil {
				continue
			}
			gvk := ops.Patch.GVK["group"] + "/" + ops.Patch.GVK["version"] + "/" + ops.Patch.GVK["kind"]
			has := false
			for _, param := range ops.Patch.Params {
				has = has || param.Name == "fieldValidation"
			}
			if has {
				with[gvk] = append(with[gvk], path)
			} else {
				without[gvk] = append(without[gvk], path)
			}
		}
		for gvk, paths := range without {
			if len(with[gvk]) > 0 {
				t.Errorf("PATCH %v and %v are both tagged %s, and only the second takes fieldValidation: kubectl would validate %s on the client at random",
					paths, with[gvk], gvk, gvk)
			}
		}
	}
}
