package resourcequota

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables"
)

// table returns the kubectl get columns of resource quotas: NAME REQUEST LIMIT AGE.
// Each cell lists "resource: used/hard" for the enforced resources in name order; those
// named limits.* go to LIMIT, all others to REQUEST.
func table(t *tables.Convertors) tables.Convertor {
	return tables.NewNameAgeConvertor[*corev1.ResourceQuotaList](t, []metav1.TableColumnDefinition{
		{Name: "Request", Type: "string", Description: "Usage against hard limits for all but limits.* resources."},
		{Name: "Limit", Type: "string", Description: "Usage against hard limits for limits.* resources."},
	}, resourceQuotaCells)
}

// resourceQuotaCells renders the REQUEST and LIMIT cells.
func resourceQuotaCells(q *corev1.ResourceQuota) []any {
	names := make([]corev1.ResourceName, 0, len(q.Status.Hard))
	for name := range q.Status.Hard {
		names = append(names, name)
	}
	slices.Sort(names)
	var requests, limits []string
	for _, name := range names {
		used, hard := q.Status.Used[name], q.Status.Hard[name]
		entry := fmt.Sprintf("%s: %s/%s", name, used.String(), hard.String())
		if strings.HasPrefix(string(name), "limits.") {
			limits = append(limits, entry)
		} else {
			requests = append(requests, entry)
		}
	}
	return []any{strings.Join(requests, ", "), strings.Join(limits, ", ")}
}
