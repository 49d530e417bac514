package server

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/fakecluster/fakecluster/pkg/kubelet/logs"
)

// logsNode is a node whose pod web has a running nginx (restarted once: its previous
// instance has a log too), a sidecar still being created, a crashed app waiting to
// restart, an init container that completed and an image that cannot be pulled.
func logsNode(t *testing.T, now time.Time) (*testServer, *fakeProvider) {
	t.Helper()
	start := now.Add(-10 * time.Second) // entries at start, start+1s, ...
	p := newFakeProvider()
	web := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", UID: "uid-web"},
		Spec: corev1.PodSpec{
			InitContainers: []corev1.Container{{Name: "init"}},
			Containers:     []corev1.Container{{Name: "nginx"}, {Name: "sidecar"}, {Name: "app"}, {Name: "pull"}, {Name: "new"}},
		},
		Status: corev1.PodStatus{
			InitContainerStatuses: []corev1.ContainerStatus{{Name: "init", ContainerID: "containerd://i0",
				State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ContainerID: "containerd://i0", Reason: "Completed"}}}},
			ContainerStatuses: []corev1.ContainerStatus{
				{Name: "nginx", ContainerID: "containerd://n1", RestartCount: 1,
					State:                corev1.ContainerState{Running: &corev1.ContainerStateRunning{}},
					LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ContainerID: "containerd://n0", ExitCode: 1}}},
				{Name: "sidecar", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}},
				{Name: "app", ContainerID: "containerd://a0",
					State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}},
					LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ContainerID: "containerd://a0", ExitCode: 2}}},
				{Name: "pull", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff"}}},
			},
		},
	}
	p.addPod(web)
	p.setRunning(web, "nginx", "containerd://n1")
	p.setLog("containerd://n1", writeLogFile(t, start,
		"one\n", "!two\n", "three\n", "!four\n", "five\n", "six\n", "seven\n", "eight\n", "nine\n", "ten\n"))
	p.setLog("containerd://n0", writeLogFile(t, start.Add(-time.Hour), "previous instance\n", "!crashed\n"))
	p.setLog("containerd://a0", writeLogFile(t, start, "app crashed\n"))
	p.setLog("containerd://i0", writeLogFile(t, start, "init done\n"))
	return startServer(t, Config{Clock: fixedClock{now}}, map[string]*fakeProvider{"worker0": p}), p
}

func TestContainerLogs(t *testing.T) {
	t.Parallel()
	now := time.Now().Truncate(time.Second)
	ts, _ := logsNode(t, now)
	_, _, apiServer := ts.ca.client(t, APIServerClientCN)
	client := ts.httpClient(&apiServer)
	stamp := func(i int) string {
		return now.Add(time.Duration(i-10) * time.Second).UTC().Format("2006-01-02T15:04:05.000000000Z07:00")
	}
	tests := []struct {
		name     string
		path     string
		query    url.Values
		wantCode int
		wantBody string
	}{
		{name: "all", path: "default/web/nginx", wantCode: 200,
			wantBody: "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten\n"},
		{name: "tail", path: "default/web/nginx", query: url.Values{"tailLines": {"2"}}, wantCode: 200, wantBody: "nine\nten\n"},
		{name: "the old tail parameter", path: "default/web/nginx", query: url.Values{"tail": {"1"}}, wantCode: 200, wantBody: "ten\n"},
		{name: "tail=all", path: "default/web/nginx", query: url.Values{"tail": {"all"}}, wantCode: 200,
			wantBody: "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten\n"},
		{name: "since seconds", path: "default/web/nginx", query: url.Values{"sinceSeconds": {"3"}}, wantCode: 200,
			wantBody: "eight\nnine\nten\n"},
		{name: "since time", path: "default/web/nginx", query: url.Values{"sinceTime": {now.Add(-2 * time.Second).Format(time.RFC3339)}},
			wantCode: 200, wantBody: "nine\nten\n"},
		{name: "timestamps", path: "default/web/nginx", query: url.Values{"timestamps": {"true"}, "tailLines": {"2"}}, wantCode: 200,
			wantBody: stamp(8) + " nine\n" + stamp(9) + " ten\n"},
		{name: "limit bytes", path: "default/web/nginx", query: url.Values{"limitBytes": {"10"}}, wantCode: 200, wantBody: "one\ntwo\nth"},
		{name: "stderr only", path: "default/web/nginx", query: url.Values{"stream": {"Stderr"}}, wantCode: 200, wantBody: "two\nfour\n"},
		{name: "stdout only", path: "default/web/nginx", query: url.Values{"stream": {"Stdout"}, "limitBytes": {"9"}}, wantCode: 200, wantBody: "one\nthree"},
		{name: "previous", path: "default/web/nginx", query: url.Values{"previous": {"true"}}, wantCode: 200,
			wantBody: "previous instance\ncrashed\n"},
		{name: "a crashed container's last instance", path: "default/web/app", wantCode: 200, wantBody: "app crashed\n"},
		{name: "a completed init container", path: "default/web/init", wantCode: 200, wantBody: "init done\n"},
		{name: "previous of a crashed container", path: "default/web/app", query: url.Values{"previous": {"1"}}, wantCode: 200,
			wantBody: "app crashed\n"},
		{name: "previous of a container that never restarted", path: "default/web/init", query: url.Values{"previous": {"true"}},
			wantCode: 400, wantBody: `previous terminated container "init" in pod "web" not found`},
		{name: "previous=false", path: "default/web/nginx", query: url.Values{"previous": {"false"}, "tailLines": {"1"}}, wantCode: 200,
			wantBody: "ten\n"},
		{name: "not started yet", path: "default/web/sidecar", wantCode: 400,
			wantBody: `container "sidecar" in pod "web" is waiting to start: ContainerCreating`},
		{name: "image pull back-off", path: "default/web/pull", wantCode: 400,
			wantBody: `container "pull" in pod "web" is waiting to start: trying and failing to pull image`},
		{name: "no status yet", path: "default/web/new", wantCode: 400, wantBody: `container "new" in pod "web" is not available`},
		{name: "unknown container", path: "default/web/nope", wantCode: 404, wantBody: `container "nope" not found in pod "web"`},
		{name: "unknown pod", path: "default/nope/nginx", wantCode: 404, wantBody: `pod "nope" does not exist`},
		{name: "other namespace", path: "kube-system/web/nginx", wantCode: 404, wantBody: `pod "web" does not exist`},
		{name: "undecodable", path: "default/web/nginx", query: url.Values{"tailLines": {"many"}}, wantCode: 400,
			wantBody: `{"message": "Unable to decode query."}`},
		{name: "negative tail", path: "default/web/nginx", query: url.Values{"tailLines": {"-1"}}, wantCode: 422,
			wantBody: `{"message": "Invalid request."}`},
		{name: "zero limit", path: "default/web/nginx", query: url.Values{"limitBytes": {"0"}}, wantCode: 422,
			wantBody: `{"message": "Invalid request."}`},
		{name: "both sinces", path: "default/web/nginx", query: url.Values{"sinceSeconds": {"1"}, "sinceTime": {now.Format(time.RFC3339)}},
			wantCode: 422, wantBody: `{"message": "Invalid request."}`},
		{name: "unknown stream", path: "default/web/nginx", query: url.Values{"stream": {"Both"}}, wantCode: 422,
			wantBody: `{"message": "Invalid request."}`},
		{name: "a stream and a tail", path: "default/web/nginx", query: url.Values{"stream": {"Stdout"}, "tailLines": {"1"}}, wantCode: 422,
			wantBody: `{"message": "Invalid request."}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := "/containerLogs/" + tt.path
			if tt.query != nil {
				path += "?" + tt.query.Encode()
			}
			code, body := get(t, client, ts, "GET", "worker0", path, nil)
			if code != tt.wantCode || body != tt.wantBody {
				t.Errorf("GET %s = %d %q, want %d %q", path, code, body, tt.wantCode, tt.wantBody)
			}
		})
	}
}

func TestContainerLogsMissingFileIsTheLog(t *testing.T) {
	t.Parallel()
	now := time.Now()
	ts, p := logsNode(t, now)
	missing := filepath.Join(t.TempDir(), "gone.log")
	p.setLog("containerd://a0", missing)
	_, _, apiServer := ts.ca.client(t, APIServerClientCN)
	code, body := get(t, ts.httpClient(&apiServer), ts, "GET", "worker0", "/containerLogs/default/web/app", nil)
	// The kubelet has begun its answer when the runtime fails to open the file, so the
	// error is what kubectl logs prints.
	if code != 200 || !strings.HasPrefix(body, `failed to try resolving symlinks in path "`+missing+`"`) {
		t.Errorf("GET the log of a missing file = %d %q", code, body)
	}
	p.mu.Lock()
	delete(p.logs, "containerd://a0")
	p.mu.Unlock()
	if code, body := get(t, ts.httpClient(&apiServer), ts, "GET", "worker0", "/containerLogs/default/web/app", nil); code != 200 || body != "no log for containerd://a0" {
		t.Errorf("GET a log the provider cannot find = %d %q", code, body)
	}
}

func TestContainerLogsFollow(t *testing.T) {
	t.Parallel()
	p := newFakeProvider()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", UID: "u"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c"}}},
		Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{{Name: "c", ContainerID: "containerd://c1",
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}},
	}
	p.addPod(pod)
	p.setRunning(pod, "c", "c1") // bare ID: compared without the scheme
	path := filepath.Join(t.TempDir(), "0.log")
	w, err := logs.Create(path, logs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := io.WriteString(w.Stdout(), "first\n"); err != nil {
		t.Fatal(err)
	}
	p.setLog("containerd://c1", path)
	ts := startServer(t, Config{}, map[string]*fakeProvider{"worker0": p})
	_, _, apiServer := ts.ca.client(t, APIServerClientCN)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", "https://worker0:"+ts.port()+"/containerLogs/default/web/c?follow=true", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := ts.httpClient(&apiServer).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	readLine := func() string {
		t.Helper()
		var line []byte
		b := make([]byte, 1)
		for {
			if _, err := resp.Body.Read(b); err != nil {
				t.Fatalf("after %q: %v", line, err)
			}
			line = append(line, b[0])
			if b[0] == '\n' {
				return string(line)
			}
		}
	}
	if got := readLine(); got != "first\n" {
		t.Fatalf("first line %q", got)
	}
	if _, err := io.WriteString(w.Stderr(), "second\n"); err != nil {
		t.Fatal(err)
	}
	if got := readLine(); got != "second\n" {
		t.Fatalf("line written while following: %q", got)
	}
	// The container stops: the log ends once read.
	p.setRunning(pod, "c", "")
	rest, err := io.ReadAll(resp.Body)
	if err != nil || len(rest) != 0 {
		t.Errorf("after the container stopped: %q, %v; want the end of the log", rest, err)
	}
}
