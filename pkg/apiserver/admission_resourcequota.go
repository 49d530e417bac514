package apiserver

import (
	"fmt"

	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/plugin/resourcequota"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"

	"github.com/fakecluster/fakecluster/pkg/api/quota"
)

// quotaEvaluators is how many requests kube-apiserver's ResourceQuota
// admission checks at once (upstream's five workers).
const quotaEvaluators = 5

// newResourceQuota is kube-apiserver's ResourceQuota admission plugin,
// k8s.io/apiserver's, with the default configuration (no limited
// resources) and fakecluster's evaluators (pkg/api/quota; any other
// resource is counted as count/<resource>.<group>). A request that would
// take a namespace past one of its quotas' status.hard is refused, and a
// granted one is charged to status.used at once; the
// resource-quota-controller computes status.used in the first place and
// gives back what deleted objects used. It reads quotas through f, which
// the caller starts, and its workers stop when drained is closed.
func newResourceQuota(client kubernetes.Interface, f informers.SharedInformerFactory, drained <-chan struct{}) (admission.Interface, error) {
	config, err := resourcequota.LoadConfiguration(nil)
	if err != nil {
		return nil, fmt.Errorf("ResourceQuota configuration: %w", err)
	}
	plugin, err := resourcequota.NewResourceQuota(config, quotaEvaluators)
	if err != nil {
		return nil, err
	}
	// The drained notification first: the quota configuration starts the
	// evaluator, which stops with it.
	plugin.SetDrainedNotification(drained)
	plugin.SetExternalKubeClientSet(client)
	plugin.SetExternalKubeInformerFactory(f)
	plugin.SetQuotaConfiguration(quota.NewConfiguration())
	if err := plugin.ValidateInitialization(); err != nil {
		return nil, fmt.Errorf("ResourceQuota: %w", err)
	}
	return plugin, nil
}
