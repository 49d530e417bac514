package server

import (
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// encodeLogOptions is the query kube-apiserver sends a kubelet for pods/log.
func encodeLogOptions(o *corev1.PodLogOptions) url.Values {
	q := url.Values{}
	flag := func(name string, on bool) {
		if on {
			q.Set(name, "true")
		}
	}
	integer := func(name string, v *int64) {
		if v != nil {
			q.Set(name, strconv.FormatInt(*v, 10))
		}
	}
	if o.Container != "" {
		q.Set("container", o.Container)
	}
	flag("follow", o.Follow)
	flag("previous", o.Previous)
	flag("timestamps", o.Timestamps)
	flag("insecureSkipTLSVerifyBackend", o.InsecureSkipTLSVerifyBackend)
	integer("sinceSeconds", o.SinceSeconds)
	integer("tailLines", o.TailLines)
	integer("limitBytes", o.LimitBytes)
	if o.SinceTime != nil {
		q.Set("sinceTime", o.SinceTime.UTC().Format(time.RFC3339Nano))
	}
	if o.Stream != nil {
		q.Set("stream", *o.Stream)
	}
	return q
}

func TestDecodeLogOptions(t *testing.T) {
	t.Parallel()
	since := metav1.NewTime(time.Date(2026, 5, 4, 3, 2, 1, 0, time.UTC))
	stream := corev1.LogStreamStderr
	tests := []struct {
		name    string
		query   string
		want    *corev1.PodLogOptions
		wantErr bool
	}{
		{name: "nothing", query: "", want: &corev1.PodLogOptions{}},
		{name: "what kube-apiserver sends", query: "follow=true&previous=true&timestamps=true&sinceTime=2026-05-04T03%3A02%3A01Z&tailLines=5&limitBytes=100&stream=Stderr",
			want: &corev1.PodLogOptions{Follow: true, Previous: true, Timestamps: true, SinceTime: &since,
				TailLines: ptr[int64](5), LimitBytes: ptr[int64](100), Stream: &stream}},
		{name: "booleans as the parameter codec reads them", query: "follow=1&previous=0&timestamps=FALSE",
			want: &corev1.PodLogOptions{Follow: true}},
		{name: "a flag without a value is true, as for the parameter codec", query: "follow=&timestamps", want: &corev1.PodLogOptions{Follow: true, Timestamps: true}},
		{name: "empty numbers are unset", query: "tailLines=&sinceSeconds=", want: &corev1.PodLogOptions{}},
		{name: "seconds", query: "sinceSeconds=60", want: &corev1.PodLogOptions{SinceSeconds: ptr[int64](60)}},
		{name: "not a number", query: "tailLines=ten", wantErr: true},
		{name: "not a time", query: "sinceTime=yesterday", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeLogOptions(q)
			if (err != nil) != tt.wantErr {
				t.Fatalf("decodeLogOptions(%q) error %v, want error %v", tt.query, err, tt.wantErr)
			}
			if err == nil {
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("options (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// FuzzLogOptions decodes random queries: never a panic, and options that decode come back
// the same from the query kube-apiserver would send for them.
func FuzzLogOptions(f *testing.F) {
	for _, q := range []string{
		"follow=true&tailLines=10", "sinceTime=2026-05-04T03:02:01.5Z&limitBytes=1", "stream=All&previous=0",
		"tailLines=-1", "sinceSeconds=99999999999999999999", "tail=all", "timestamps&follow",
	} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, query string) {
		q, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		opts, err := decodeLogOptions(q)
		if err != nil {
			return
		}
		_ = validateLogOptions(opts)
		again, err := decodeLogOptions(encodeLogOptions(opts))
		if err != nil {
			t.Fatalf("re-encoded %+v does not decode: %v", opts, err)
		}
		if diff := cmp.Diff(opts, again); diff != "" {
			t.Fatalf("round trip of %q (-first +again):\n%s", query, diff)
		}
	})
}
