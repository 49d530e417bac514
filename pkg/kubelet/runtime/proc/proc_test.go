package proc

import (
	"bytes"
	"errors"
	"io/fs"
	"strings"
	"syscall"
	"testing"
)

func TestParseSignal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Signal
		ok   bool
	}{
		{"TERM", SIGTERM, true}, {"SIGKILL", SIGKILL, true}, {"quit", SIGQUIT, true}, {"9", SIGKILL, true},
		{"0", 0, true}, {"65", 65, false}, {"NOPE", 0, false}, {"-1", -1, false},
	}
	for _, tt := range tests {
		got, ok := ParseSignal(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseSignal(%q) = %v %v, want %v %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	if SIGWINCH.Terminates() || !SIGTERM.Terminates() || SIGQUIT.String() != "SIGQUIT" {
		t.Error("signal properties")
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	if got := Strerror(&fs.PathError{Op: "open", Path: "/x", Err: syscall.EROFS}); got != "Read-only file system" {
		t.Errorf("Strerror(EROFS) = %q", got)
	}
	if got := Strerror(errors.New("opaque")); got != "Input/output error" {
		t.Errorf("Strerror(opaque) = %q", got)
	}
	x := &ExecError{Name: "nosuch", Err: syscall.ENOENT, InPath: true}
	if x.Error() != `exec: "nosuch": executable file not found in $PATH` || !errors.Is(x, syscall.ENOENT) {
		t.Errorf("ExecError: %v", x)
	}
	if v, ok := LookupEnv([]string{"A=1", "B=2", "A=3"}, "A"); !ok || v != "3" {
		t.Errorf("LookupEnv = %q %v", v, ok)
	}
}

func TestStandardStreamFiles(t *testing.T) {
	t.Parallel()
	var out, errw bytes.Buffer
	p := &Proc{Dir: "/", Stdin: strings.NewReader("in"), Stdout: &out, Stderr: &errw}
	for name, w := range map[string]*bytes.Buffer{"/dev/stdout": &out, "/proc/self/fd/2": &errw} {
		f, err := p.OpenFile(name, 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte(name))
		if w.String() != name {
			t.Errorf("%s wrote %q", name, w.String())
		}
	}
	f, err := p.Open("/dev/stdin")
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4)
	n, _ := f.Read(b)
	if string(b[:n]) != "in" {
		t.Errorf("/dev/stdin read %q", b[:n])
	}
}
