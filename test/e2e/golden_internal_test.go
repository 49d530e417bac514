package e2e

import (
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The transcript machinery is itself tested here: it needs no binaries, so
// these run with -short too.

func TestNormalizeAges(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{{
		name: "last column",
		in:   "NAME      STATUS   AGE\ndefault   Active   5s\n",
		want: "NAME      STATUS   AGE\ndefault   Active   <age>\n",
	}, {
		name: "columns after it stay put",
		in: "NAME    READY   STATUS    RESTARTS   AGE   IP       NODE\n" +
			"nginx   0/1     Pending   0          0s    <none>   <none>\n" +
			"web     1/1     Running   0          12s   <none>   <none>\n",
		want: "NAME    READY   STATUS    RESTARTS   AGE   IP       NODE\n" +
			"nginx   0/1     Pending   0          <age> <none>   <none>\n" +
			"web     1/1     Running   0          <age> <none>   <none>\n",
	}, {
		name: "an age that widens its column reads as one that does not",
		in: "NAME    READY   AGE    IP\n" +
			"nginx   1/1     100s   10.244.0.2\n",
		want: "NAME    READY   AGE   IP\n" +
			"nginx   1/1     <age> 10.244.0.2\n",
	}, {
		name: "compound ages",
		in:   "NAME   DATA   AGE\na      1      2m5s\nb      1      3d4h\n",
		want: "NAME   DATA   AGE\na      1      <age>\nb      1      <age>\n",
	}, {
		name: "watch events and namespaces",
		in:   "EVENT   NAMESPACE   NAME   DATA   AGE\nADDED   ns          a      1      0s\n",
		want: "EVENT   NAMESPACE   NAME   DATA   AGE\nADDED   ns          a      1      <age>\n",
	}, {
		name: "not a table",
		in:   "Tolerations:  node.kubernetes.io/not-ready:NoExecute op=Exists for 300s\n",
		want: "Tolerations:  node.kubernetes.io/not-ready:NoExecute op=Exists for 300s\n",
	}, {
		name: "a blank line ends the table",
		in:   "NAME   AGE\na      1s\n\nx      1s\n",
		want: "NAME   AGE\na      <age>\n\nx      1s\n",
	}, {
		name: "numbers without a unit are not ages",
		in:   "NAME   DATA   AGE\na      10     <unknown>\n",
		want: "NAME   DATA   AGE\na      10     <unknown>\n",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := cmp.Diff(tt.want, normalizeAges(tt.in)); d != "" {
				t.Errorf("normalizeAges mismatch (-want +got):\n%s", d)
			}
		})
	}
}

func TestSplitTranscript(t *testing.T) {
	headers := []string{"$ kubectl a\n", "$ kubectl b\n", "$ kubectl c\n"}
	tests := []struct {
		name   string
		golden string
		want   map[int]string
	}{{
		name:   "every step",
		golden: "$ kubectl a\nout a\n\n$ kubectl b\n\n$ kubectl c\n--- exit status 1\n\n",
		want:   map[int]string{0: "$ kubectl a\nout a\n\n", 1: "$ kubectl b\n\n", 2: "$ kubectl c\n--- exit status 1\n\n"},
	}, {
		name:   "a step the golden lacks",
		golden: "$ kubectl a\n\n$ kubectl c\n\n",
		want:   map[int]string{0: "$ kubectl a\n\n", 2: "$ kubectl c\n\n"},
	}, {
		name:   "headers only count at the start of a line",
		golden: "$ kubectl a\necho $ kubectl b\n\n$ kubectl b\n\n",
		want:   map[int]string{0: "$ kubectl a\necho $ kubectl b\n\n", 1: "$ kubectl b\n\n"},
	}, {
		name:   "empty",
		golden: "",
		want:   map[int]string{},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := cmp.Diff(tt.want, splitTranscript(tt.golden, headers)); d != "" {
				t.Errorf("splitTranscript mismatch (-want +got):\n%s", d)
			}
		})
	}
}

func TestShellQuote(t *testing.T) {
	got := shellQuote([]string{"get", "pod", "-o", "jsonpath={.spec}", "note=it's", "--from-literal=k=v"})
	want := `get pod -o 'jsonpath={.spec}' 'note=it'\''s' --from-literal=k=v`
	if got != want {
		t.Errorf("shellQuote = %s, want %s", got, want)
	}
}

func TestRenderDropsSkewStreamRace(t *testing.T) {
	race := "E1204 19:02:11.123456   4242 websocket.go:296] Unknown stream id 1, discarding message\n"
	r := result{stdout: "hello\n", stderr: race}
	for _, tc := range []struct {
		skew bool
		want string
	}{
		{skew: true, want: "hello\n"},
		{skew: false, want: "hello\n--- stderr\n" + race},
	} {
		e := &env{client: client{skew: tc.skew}, cluster: &cluster{port: regexp.MustCompile(`\b12345\b`)}, tmp: "/nonexistent"}
		if diff := cmp.Diff(tc.want, e.render(step{}, r)); diff != "" {
			t.Errorf("skew=%v: render (-want +got):\n%s", tc.skew, diff)
		}
	}
}
