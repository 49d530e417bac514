package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// A scenario is a sequence of kubectl commands against one cluster. Its
// transcript, each command with its output, is testdata/<name>.golden.
type scenario struct {
	name string
	// serial scenarios look at or change what all namespaces share (the
	// namespace list): they run one at a time, before the others start.
	// The others keep to namespaces of their own and run in parallel.
	serial bool
	// nodes, if set, runs the scenario on a cluster of its own with that
	// many nodes, rather than on the one-node cluster the others share.
	nodes int
	steps []step
}

// A step is one kubectl command and what Kubernetes' kubectl does with it.
type step struct {
	args  []string
	stdin string
	code  int // the exit code wanted
	// versionSpecific: kubectl of another minor prints this differently, so
	// with such a kubectl only the exit code is checked.
	versionSpecific bool
	// masks replace what varies in this step's output only.
	masks []mask
	// watch runs the command in the background (a `get -w`) around another.
	watch *watch
}

// A watch is a background `kubectl get -w`: once it has printed ready
// lines, then runs; when it has printed lines lines, it is stopped.
type watch struct {
	ready int
	then  step
	lines int
}

type mask struct {
	re   *regexp.Regexp
	with string
}

// k is the step `kubectl args...`, exiting 0. The methods below return a
// copy of the step with one more property.
func k(args ...string) step { return step{args: args} }

// exits: kubectl exits with code.
func (s step) exits(code int) step { s.code = code; return s }

// withStdin gives kubectl in on its standard input; it must end in a newline.
func (s step) withStdin(in string) step { s.stdin = in; return s }

// versionSpecificOutput: other kubectl minors print something else.
func (s step) versionSpecificOutput() step { s.versionSpecific = true; return s }

// mask replaces what matches re with with, in this step's output.
func (s step) mask(re, with string) step {
	s.masks = append(s.masks, mask{regexp.MustCompile(re), with})
	return s
}

// around makes s a background watch around then (whose own
// versionSpecific is not looked at: s's counts).
func (s step) around(then step, ready, lines int) step {
	s.watch = &watch{ready: ready, then: then, lines: lines}
	return s
}

// name is the step's subtest name: its number and its first words, e.g.
// 03-get-pods.
func (s step) name(i int) string {
	words := []string{fmt.Sprintf("%02d", i+1)}
	for _, a := range s.args[:min(2, len(s.args))] {
		if strings.HasPrefix(a, "-") {
			break
		}
		words = append(words, a)
	}
	return strings.Join(words, "-")
}

// header is the step as typed into a shell: the first lines of its part of
// the transcript, by which the golden is split into steps.
func (s step) header() string {
	h := "$ kubectl " + shellQuote(s.args)
	switch {
	case s.watch != nil:
		h += " &"
	case s.stdin != "":
		h += " <<EOF\n" + s.stdin
		if !strings.HasSuffix(s.stdin, "\n") {
			h += "\n"
		}
		h += "EOF"
	}
	return h + "\n"
}

// shellPlain matches the arguments a shell takes as they are.
var shellPlain = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// shellQuote is args as typed into a POSIX shell.
func shellQuote(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if shellPlain.MatchString(a) {
			q[i] = a
		} else {
			q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(q, " ")
}

// run runs every step as a subtest, in order, and compares each with its
// part of the golden transcript; with -update it then rewrites the golden.
func (sc scenario) run(t *testing.T, e *env) {
	path := filepath.Join("testdata", sc.name+".golden")
	golden, err := os.ReadFile(path)
	if err != nil && !(*update && errors.Is(err, os.ErrNotExist)) {
		t.Fatalf("%v (go test ./test/e2e -update writes it)", err)
	}
	headers := make([]string, len(sc.steps))
	for i, s := range sc.steps {
		headers[i] = s.header()
	}
	want := splitTranscript(string(golden), headers)

	got := make([]string, len(sc.steps))
	for i, s := range sc.steps {
		t.Run(s.name(i), func(t *testing.T) {
			var problems []string
			got[i], problems = e.runStep(t, s)
			compare := !(e.client.skew && s.versionSpecific)
			if compare && !*update {
				w, ok := want[i]
				switch {
				case !ok:
					problems = append(problems, fmt.Sprintf("%s has no part for this step; run go test ./test/e2e -update", path))
				default:
					// Compared line by line: the diff then reads like the transcript.
					if d := cmp.Diff(strings.Split(w, "\n"), strings.Split(got[i], "\n")); d != "" {
						problems = append(problems, fmt.Sprintf("%s mismatch (-want +got):\n%s", path, d))
					}
				}
			}
			if len(problems) > 0 {
				t.Error(strings.Join(problems, "\n"))
			}
		})
	}

	if *update {
		var b strings.Builder
		for _, part := range got {
			b.WriteString(part)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// splitTranscript cuts a golden transcript into the parts of the steps whose
// headers are given, in order; a step whose header is not found at the start
// of a line (the golden is out of date) has no part.
func splitTranscript(golden string, headers []string) map[int]string {
	g := "\n" + golden
	type at struct{ step, pos int }
	var starts []at
	from := 0
	for i, h := range headers {
		j := strings.Index(g[from:], "\n"+h)
		if j < 0 {
			continue
		}
		starts = append(starts, at{i, from + j + 1})
		from += j + 1 + len(h)
	}
	parts := make(map[int]string, len(starts))
	for n, s := range starts {
		end := len(g)
		if n+1 < len(starts) {
			end = starts[n+1].pos
		}
		parts[s.step] = g[s.pos:end]
	}
	return parts
}

// runStep runs s and returns its part of the transcript and what is wrong
// with its exit code.
func (e *env) runStep(tb testing.TB, s step) (string, []string) {
	tb.Helper()
	if s.watch != nil {
		return e.runWatch(tb, s)
	}
	var r result
	if s.stdin == "" {
		r = e.kubectl(tb, s.args...)
	} else {
		r = e.kubectlStdin(tb, s.stdin, s.args...)
	}
	var problems []string
	if r.code != s.code {
		problems = append(problems, fmt.Sprintf("kubectl %s: exit code %d, want %d\nstdout:\n%s\nstderr:\n%s",
			shellQuote(s.args), r.code, s.code, r.stdout, r.stderr))
	}
	return s.header() + e.render(s, r) + "\n", problems
}

// render is a command's output in the transcript: stdout, then stderr and
// the exit code if there are any, normalised.
func (e *env) render(s step, r result) string {
	var b strings.Builder
	b.WriteString(noEOLMark(e.normalize(s, r.stdout), "stdout"))
	if stderr := e.normalize(s, r.stderr); stderr != "" {
		b.WriteString("--- stderr\n")
		b.WriteString(noEOLMark(stderr, "stderr"))
	}
	if r.code != 0 {
		fmt.Fprintf(&b, "--- exit status %d\n", r.code)
	}
	return b.String()
}

func noEOLMark(out, stream string) string {
	if out == "" || strings.HasSuffix(out, "\n") {
		return out
	}
	return out + "\n\\ no newline at end of " + stream + "\n"
}

// runWatch starts s in the background, runs s.watch.then once it has
// printed the ready lines, and stops it with SIGTERM once it has printed
// all its lines.
func (e *env) runWatch(tb testing.TB, s step) (string, []string) {
	tb.Helper()
	w := s.watch
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := e.command(ctx, s.args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	lines := make(chan string, 1000) // never blocks the reader, even if the test gives up
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var out []string
	var problems []string
	await := func(n int) {
		timeout := time.After(30 * time.Second)
		for len(out) < n {
			select {
			case l, ok := <-lines:
				if !ok {
					problems = append(problems, fmt.Sprintf("kubectl %s exited after %d lines, want %d\nstderr:\n%s", shellQuote(s.args), len(out), n, stderr.String()))
					return
				}
				out = append(out, l)
			case <-timeout:
				problems = append(problems, fmt.Sprintf("kubectl %s printed %d lines in 30s, want %d", shellQuote(s.args), len(out), n))
				return
			}
		}
	}

	await(w.ready)
	then, thenProblems := e.runStep(tb, w.then)
	problems = append(problems, thenProblems...)
	await(w.lines)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		tb.Fatal(err)
	}
	for l := range lines { // anything printed before the signal landed
		out = append(out, l)
	}
	cmd.Wait() // ended by the signal: its exit status says nothing

	var b strings.Builder
	b.WriteString(s.header())
	b.WriteString(strings.TrimSuffix(then, "\n"))
	fmt.Fprintf(&b, "$ kill %%1  # once the watch has printed %d lines:\n", w.lines)
	b.WriteString(e.render(s, result{stdout: strings.Join(append(out, ""), "\n"), stderr: stderr.String()}))
	return b.String() + "\n", problems
}

// What varies from run to run, and what it is replaced with.
var (
	uidPattern      = regexp.MustCompile(`\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`)
	timePattern     = regexp.MustCompile(`\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)               // RFC 3339, as the API writes it
	diffTimePattern = regexp.MustCompile(`\b\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ [-+]\d{4}`) // diff -u file headers
	// RFC 1123 with a numeric zone, as kubectl describe prints times; the
	// zero time (year 0001) is a fixed value and stays.
	describeTimePattern = regexp.MustCompile(`\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d [A-Z][a-z]{2} [1-9]\d{3} \d\d:\d\d:\d\d [-+]\d{4}`)
	rvPattern           = regexp.MustCompile(`(resourceVersion"?: )"\d+"`)
	diffDirPattern      = regexp.MustCompile(`\b(LIVE|MERGED)-\d+/`) // kubectl diff's os.MkdirTemp dirs
	tokenVolPattern     = regexp.MustCompile(`\bkube-api-access-[a-z0-9]{5}\b`)
	containerIDPattern  = regexp.MustCompile(`\bcontainerd://[0-9a-f]{64}\b`) // a new random ID per container start
	// eventAgePattern is the Age cell of kubectl describe's event rows;
	// pullTimePattern the time a (simulated) image pull took.
	eventAgePattern = regexp.MustCompile(`(?m)^(  (?:Normal|Warning) +\S+ +)(?:\d+[smh])+( +)`)
	// client-go before v1.33 reads a websocket exec's messages before it
	// has made its streams, so now and then it drops (and logs) the
	// server's empty ready message, which kube-apiserver sends as we do;
	// later client-go waits for its streams first.
	skewStreamRace  = regexp.MustCompile(`(?m)^E\d{4} [\d:.]+ +\d+ websocket\.go:\d+\] Unknown stream id \d+, discarding message\n`)
	pullTimePattern = regexp.MustCompile(`in [0-9.]+[mµn]?s \([0-9.]+[mµn]?s including waiting\)`)
	tableHeader     = regexp.MustCompile(`^(EVENT +)?(NAMESPACE +)?NAME +.*\bAGE\b`)
	ageCell         = regexp.MustCompile(`( {2,}|^)((?:\d+[smhdy])+)( +|$)`)
	ageHeaderPad    = regexp.MustCompile(`(\bAGE) {3,}(\S)`)
)

const ageMark = "<age>"

// normalize replaces in out what differs between runs of the same step:
// the cluster's port, UIDs, resourceVersions, timestamps, AGE cells, the
// random suffix of the service account token volume, kubectl diff's
// temporary directories, and whatever the step masks.
func (e *env) normalize(s step, out string) string {
	out = normalizeAges(out)
	out = e.cluster.port.ReplaceAllString(out, "<port>")
	out = uidPattern.ReplaceAllString(out, "<uid>")
	out = timePattern.ReplaceAllString(out, "<time>")
	out = diffTimePattern.ReplaceAllString(out, "<time>")
	out = describeTimePattern.ReplaceAllString(out, "<time>")
	out = rvPattern.ReplaceAllString(out, `$1"<rv>"`)
	out = strings.ReplaceAll(out, e.tmp, "$TMPDIR")
	out = diffDirPattern.ReplaceAllString(out, "$1-<n>/")
	out = tokenVolPattern.ReplaceAllString(out, "kube-api-access-<id>")
	out = containerIDPattern.ReplaceAllString(out, "containerd://<id>")
	// The Age column of describe's events is as wide as its widest cell,
	// "----" at least: the mark keeps the cell's width, whatever the age.
	out = eventAgePattern.ReplaceAllStringFunc(out, func(cell string) string {
		m := eventAgePattern.FindStringSubmatch(cell)
		width := len(cell) - len(m[1])
		return m[1] + "<a>" + strings.Repeat(" ", max(1, width-len("<a>")))
	})
	out = pullTimePattern.ReplaceAllString(out, "in <d> (<d> including waiting)")
	if e.client.skew {
		out = skewStreamRace.ReplaceAllString(out, "")
	}
	for _, m := range s.masks {
		out = m.re.ReplaceAllString(out, m.with)
	}
	return out
}

// normalizeAges replaces the AGE cells of the tables in out (from a header
// line naming an AGE column to the next blank line) with <age>, keeping the
// columns after it where they were: the cell and its padding become <age>
// and as much padding as still fits, at least one space.
func normalizeAges(out string) string {
	lines := strings.Split(out, "\n")
	inTable := false
	for i, l := range lines {
		switch {
		case l == "":
			inTable = false
		case tableHeader.MatchString(l):
			inTable = true
			// An age of four characters or more (100s, 5m2s) widens the
			// column: written as if every age were three at most.
			lines[i] = ageHeaderPad.ReplaceAllString(l, "${1}   ${2}")
		case inTable:
			m := ageCell.FindStringSubmatchIndex(l)
			if m == nil {
				continue
			}
			pad := ""
			if m[7] > m[6] { // padding: more columns follow
				pad = " " // "<age> " is as wide as "AGE   "
			}
			lines[i] = l[:m[4]] + ageMark + pad + l[m[7]:]
		}
	}
	return strings.Join(lines, "\n")
}
