package runtime

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// hostTar builds an archive as kubectl cp's makeTar does: relative names, directories first.
func hostTar(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	seen := map[string]bool{}
	for _, n := range names {
		if dir := filepath.Dir(n); dir != "." && !seen[dir] {
			seen[dir] = true
			if err := tw.WriteHeader(&tar.Header{Name: dir + "/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: time.Unix(1700000000, 0)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := tw.WriteHeader(&tar.Header{Name: n, Typeflag: tar.TypeReg, Mode: 0o640, Size: int64(len(files[n])), ModTime: time.Unix(1700000000, 0)}); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, files[n]); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readTar(t *testing.T, b []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("read archive: %v", err)
		}
		data, _ := io.ReadAll(tr)
		switch h.Typeflag {
		case tar.TypeDir:
			out[h.Name] = "<dir>"
		case tar.TypeSymlink:
			out[h.Name] = "-> " + h.Linkname
		default:
			out[h.Name] = string(data)
		}
	}
}

func TestKubectlCp(t *testing.T) {
	t.Parallel()
	for _, image := range []string{"busybox", "nginx"} {
		t.Run(image, func(t *testing.T) {
			t.Parallel()
			p := newPod(t, Options{})
			c := p.idle(image)
			files := map[string]string{"app/config.yaml": "a: 1\n", "app/bin/run.sh": "#!/bin/sh\necho run\n"}
			// kubectl cp ./app pod:/srv -> test -d /srv; tar -xmf - -C /srv
			if r := run(t, c, "", "test", "-d", "/srv"); r.code != 0 {
				t.Fatalf("test -d /srv: %+v", r)
			}
			r := run(t, c, string(hostTar(t, files)), "tar", "-xmf", "-", "-C", "/srv")
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("extract: %+v", r)
			}
			if r := run(t, c, "", "cat", "/srv/app/config.yaml"); r.stdout != "a: 1\n" {
				t.Errorf("extracted file: %+v", r)
			}
			if r := run(t, c, "", "stat", "-c", "%a", "/srv/app/config.yaml"); r.stdout != "640\n" {
				t.Errorf("mode kept: %+v", r)
			}
			// --no-preserve: kubectl cp --no-preserve runs these flags
			r = run(t, c, string(hostTar(t, map[string]string{"np": "x"})), "tar", "--no-same-permissions", "--no-same-owner", "-xmf", "-", "-C", "/tmp")
			if r.code != 0 {
				t.Errorf("extract --no-same-permissions: %+v", r)
			}
			// into a volume: the files land on the host
			if r := run(t, c, string(hostTar(t, files)), "tar", "-xmf", "-", "-C", "/data"); r.code != 0 {
				t.Fatalf("extract into volume: %+v", r)
			}
			if b, err := os.ReadFile(filepath.Join(p.dir, "volumes", "data", "app", "config.yaml")); err != nil || string(b) != "a: 1\n" {
				t.Errorf("host copy: %q %v", b, err)
			}
			// kubectl cp pod:/srv/app ./out -> tar cf - /srv/app
			r = run(t, c, "", "tar", "cf", "-", "/srv/app")
			if r.code != 0 {
				t.Fatalf("create: %+v", r)
			}
			wantWarn := "tar: removing leading '/' from member names\n"
			if image == "nginx" {
				wantWarn = "tar: Removing leading `/' from member names\n"
			}
			if r.stderr != wantWarn {
				t.Errorf("stderr %q, want %q", r.stderr, wantWarn)
			}
			want := map[string]string{"srv/app/": "<dir>", "srv/app/bin/": "<dir>", "srv/app/bin/run.sh": files["app/bin/run.sh"], "srv/app/config.yaml": "a: 1\n"}
			if diff := cmp.Diff(want, readTar(t, []byte(r.stdout))); diff != "" {
				t.Errorf("archive (-want +got):\n%s", diff)
			}
			// the retrying form kubectl uses with --retries
			r = run(t, c, "", "sh", "-c", "tar cf - '/srv/app/config.yaml' | tail -c+513")
			if r.code != 0 || !strings.HasPrefix(r.stdout, "a: 1\n") {
				t.Errorf("resumed copy: %+v", r)
			}
		})
	}
}

func TestTarMemberNamesStayInside(t *testing.T) {
	t.Parallel()
	p := newPod(t, Options{})
	c := p.idle("busybox")
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range []*tar.Header{
		{Name: "../../../../outside/evil", Typeflag: tar.TypeReg, Size: 4, Mode: 0o644},
		{Name: "/abs/file", Typeflag: tar.TypeReg, Size: 4, Mode: 0o644},
		{Name: "link", Typeflag: tar.TypeSymlink, Linkname: "../../../../outside"},
		{Name: "link/through", Typeflag: tar.TypeReg, Size: 4, Mode: 0o644},
	} {
		tw.WriteHeader(h)
		if h.Size > 0 {
			io.WriteString(tw, "evil")
		}
	}
	tw.Close()
	r := run(t, c, buf.String(), "tar", "-xf", "-", "-C", "/data")
	if r.code == 0 {
		t.Errorf("extracting a '..' member succeeded: %+v", r)
	}
	if r := run(t, c, "", "cat", "/data/abs/file"); r.stdout != "evil" {
		t.Errorf("absolute member not stripped to /data/abs/file: %+v", r)
	}
	// the newPod cleanup checks that nothing outside the pod directory changed
}
