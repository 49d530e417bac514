package queryparams_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/fakecluster/fakecluster/pkg/apiserver/internal/queryparams"
)

func TestQueryConversionsDecodeStreamOptions(t *testing.T) {
	t.Parallel()
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := queryparams.AddConversions(scheme, &corev1.PodLogOptions{}, &corev1.PodExecOptions{}, &corev1.PodAttachOptions{}, &corev1.PodPortForwardOptions{},
		&corev1.PodProxyOptions{}, &corev1.NodeProxyOptions{}, &corev1.ServiceProxyOptions{}); err != nil {
		t.Fatal(err)
	}
	codec := runtime.NewParameterCodec(scheme)
	tests := []struct {
		name  string
		query string
		into  runtime.Object
		want  runtime.Object
	}{
		{"exec", "container=c&command=ls&command=-l&stdin=true&tty=1", &corev1.PodExecOptions{},
			&corev1.PodExecOptions{Container: "c", Command: []string{"ls", "-l"}, Stdin: true, TTY: true}},
		{"log", "follow=true&tailLines=10&sinceSeconds=5", &corev1.PodLogOptions{},
			&corev1.PodLogOptions{Follow: true, TailLines: ptr.To[int64](10), SinceSeconds: ptr.To[int64](5)}},
		{"portforward", "ports=80&ports=443", &corev1.PodPortForwardOptions{},
			&corev1.PodPortForwardOptions{Ports: []int32{80, 443}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			if err := codec.DecodeParameters(values, corev1.SchemeGroupVersion, tt.into); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, tt.into); diff != "" {
				t.Errorf("decoded options (-want +got):\n%s", diff)
			}
		})
	}
	bad, _ := url.ParseQuery("tailLines=ten")
	if err := codec.DecodeParameters(bad, corev1.SchemeGroupVersion, &corev1.PodLogOptions{}); err == nil || !strings.Contains(err.Error(), `"tailLines"`) {
		t.Errorf("malformed tailLines: %v, want an error naming it", err)
	}
}
