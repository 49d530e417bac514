package secret

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/apiserver/tables/tablestest"
)

func TestTable(t *testing.T) {
	t.Parallel()
	opaque := &corev1.Secret{ObjectMeta: tablestest.ObjectMeta("creds", time.Hour), Type: corev1.SecretTypeOpaque, Data: map[string][]byte{"user": nil, "pass": nil}}
	token := &corev1.Secret{ObjectMeta: tablestest.ObjectMeta("sa-token", 2*time.Hour), Type: corev1.SecretTypeServiceAccountToken, Data: map[string][]byte{"token": nil, "ca.crt": nil, "namespace": nil}}
	tablestest.Golden{Name: "secrets", Table: table}.Check(t, []tablestest.Case{
		{Name: "opaque", Obj: opaque},
		{Name: "service account token", Obj: token},
		{Name: "list", Obj: &corev1.SecretList{ListMeta: metav1.ListMeta{ResourceVersion: "3"}, Items: []corev1.Secret{*opaque, *token}}},
	})
}
