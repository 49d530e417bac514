package tables

import (
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Namespaces returns the convertor for core/v1 Namespaces: NAME STATUS AGE.
func (c *Convertors) Namespaces() Convertor {
	columns := []metav1.TableColumnDefinition{
		nameColumn(),
		{Name: "Status", Type: "string", Description: "Phase of the namespace: Active or Terminating."},
		ageColumn(),
	}
	return convertor(c.clock, columns, func(ns *corev1.Namespace, now time.Time) []any {
		return []any{ns.Name, string(ns.Status.Phase), age(ns.CreationTimestamp, now)}
	}, func(l *corev1.NamespaceList) []*corev1.Namespace { return pointers(l.Items) })
}

// ConfigMaps returns the convertor for core/v1 ConfigMaps: NAME DATA AGE, where DATA counts
// text and binary keys together.
func (c *Convertors) ConfigMaps() Convertor {
	columns := []metav1.TableColumnDefinition{
		nameColumn(),
		{Name: "Data", Type: "string", Description: "Number of keys, text and binary."},
		ageColumn(),
	}
	return convertor(c.clock, columns, func(cm *corev1.ConfigMap, now time.Time) []any {
		return []any{cm.Name, int64(len(cm.Data) + len(cm.BinaryData)), age(cm.CreationTimestamp, now)}
	}, func(l *corev1.ConfigMapList) []*corev1.ConfigMap { return pointers(l.Items) })
}

// Secrets returns the convertor for core/v1 Secrets: NAME TYPE DATA AGE. DATA counts the
// keys of data only: stringData never reaches storage.
func (c *Convertors) Secrets() Convertor {
	columns := []metav1.TableColumnDefinition{
		nameColumn(),
		{Name: "Type", Type: "string", Description: "The secret's type, such as Opaque."},
		{Name: "Data", Type: "string", Description: "Number of keys."},
		ageColumn(),
	}
	return convertor(c.clock, columns, func(s *corev1.Secret, now time.Time) []any {
		return []any{s.Name, string(s.Type), int64(len(s.Data)), age(s.CreationTimestamp, now)}
	}, func(l *corev1.SecretList) []*corev1.Secret { return pointers(l.Items) })
}

// ServiceAccounts returns the convertor for core/v1 ServiceAccounts: NAME SECRETS AGE.
func (c *Convertors) ServiceAccounts() Convertor {
	columns := []metav1.TableColumnDefinition{
		nameColumn(),
		{Name: "Secrets", Type: "string", Description: "Number of secrets listed on the service account."},
		ageColumn(),
	}
	return convertor(c.clock, columns, func(sa *corev1.ServiceAccount, now time.Time) []any {
		return []any{sa.Name, int64(len(sa.Secrets)), age(sa.CreationTimestamp, now)}
	}, func(l *corev1.ServiceAccountList) []*corev1.ServiceAccount { return pointers(l.Items) })
}

// ResourceQuotas returns the convertor for core/v1 ResourceQuotas: NAME REQUEST LIMIT AGE.
// Each cell lists "resource: used/hard" for the enforced resources in name order; those
// named limits.* go to LIMIT, all others to REQUEST.
func (c *Convertors) ResourceQuotas() Convertor {
	columns := []metav1.TableColumnDefinition{
		nameColumn(),
		{Name: "Request", Type: "string", Description: "Usage against hard limits for all but limits.* resources."},
		{Name: "Limit", Type: "string", Description: "Usage against hard limits for limits.* resources."},
		ageColumn(),
	}
	return convertor(c.clock, columns, resourceQuotaRow, func(l *corev1.ResourceQuotaList) []*corev1.ResourceQuota {
		return pointers(l.Items)
	})
}

func resourceQuotaRow(q *corev1.ResourceQuota, now time.Time) []any {
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
	return []any{q.Name, strings.Join(requests, ", "), strings.Join(limits, ", "), age(q.CreationTimestamp, now)}
}
