package images

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/vfs"
)

func TestParseReference(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		wantErr  string
	}{
		{in: "nginx", want: "docker.io/library/nginx:latest"},
		{in: "nginx:1.27", want: "docker.io/library/nginx:1.27"},
		{in: "library/nginx", want: "docker.io/library/nginx:latest"},
		{in: "curlimages/curl:8.11.1", want: "docker.io/curlimages/curl:8.11.1"},
		{in: "index.docker.io/library/busybox", want: "docker.io/library/busybox:latest"},
		{in: "registry.k8s.io/pause:3.10", want: "registry.k8s.io/pause:3.10"},
		{in: "localhost:5000/app", want: "localhost:5000/app:latest"},
		{in: "nginx@sha256:" + strings.Repeat("a", 64), want: "docker.io/library/nginx@sha256:" + strings.Repeat("a", 64)},
		{in: "Nginx", wantErr: "invalid reference format: repository name (library/Nginx) must be lowercase"},
		{in: "nginx:", wantErr: "invalid reference format"},
		{in: "", wantErr: "invalid reference format"},
		{in: "a b", wantErr: "invalid reference format"},
		{in: "nginx@sha256:short", wantErr: "invalid reference format"},
		// containerd takes any digest go-digest can verify, and a tag beside it.
		{in: "nginx@sha512:" + strings.Repeat("b", 128), want: "docker.io/library/nginx@sha512:" + strings.Repeat("b", 128)},
		{in: "nginx:1.27@sha256:" + strings.Repeat("a", 64), want: "docker.io/library/nginx:1.27@sha256:" + strings.Repeat("a", 64)},
		{in: "[::1]:5000/app:v1", want: "[::1]:5000/app:v1"},
		{in: "nginx@md5:" + strings.Repeat("a", 32), wantErr: "unsupported digest algorithm"},
		{in: strings.Repeat("a", 64), wantErr: "invalid repository name (" + strings.Repeat("a", 64) + "), cannot specify 64-byte hexadecimal strings"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			r, err := ParseReference(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr || !errors.Is(err, ErrInvalidReference) {
					t.Errorf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || r.String() != tt.want {
				t.Errorf("got %q, %v; want %q", r.String(), err, tt.want)
			}
		})
	}
}

func FuzzParseReference(f *testing.F) {
	for _, s := range []string{"nginx", "a/b/c:d", "localhost:5000/x@sha256:" + strings.Repeat("0", 64), "UP/per", "x.invalid/y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseReference(s)
		if err != nil {
			return
		}
		again, err := ParseReference(r.String())
		if err != nil || again != r {
			t.Errorf("%q normalised to %q, which parses to %+v, %v", s, r.String(), again, err)
		}
	})
}

func TestPull(t *testing.T) {
	t.Parallel()
	c := NewCatalog()
	nginx, err := c.Pull("nginx")
	if err != nil {
		t.Fatal(err)
	}
	again, _ := NewCatalog().Pull("docker.io/library/nginx:latest")
	if diff := cmp.Diff(nginx, again, cmpImage); diff != "" {
		t.Errorf("the same image pulled twice differs (-first +second):\n%s", diff)
	}
	if !strings.HasPrefix(nginx.ID, "sha256:") || len(nginx.ID) != 71 || !strings.HasPrefix(nginx.Digest, "docker.io/library/nginx@sha256:") {
		t.Errorf("ids %q %q", nginx.ID, nginx.Digest)
	}
	if nginx.StopSignal != proc.SIGQUIT || strings.Join(nginx.Cmd, " ") != "nginx -g daemon off;" {
		t.Errorf("nginx config %+v", nginx)
	}
	other, _ := c.Pull("nginx:1.27")
	if other.ID == nginx.ID {
		t.Error("two tags share an image ID")
	}
	unknown, err := c.Pull("ghcr.io/acme/app:2")
	if err != nil || unknown.Known || strings.Join(unknown.Entrypoint, " ") != "/app" {
		t.Errorf("unknown image: %+v %v", unknown, err)
	}
	_, err = c.Pull("example.invalid/app:1")
	var pe *PullError
	want := `failed to pull and unpack image "example.invalid/app:1": failed to resolve reference "example.invalid/app:1": failed to do request: Head "https://example.invalid/v2/app/manifests/1": dial tcp: lookup example.invalid: no such host`
	if !errors.As(err, &pe) || pe.Message != want || !errors.Is(err, ErrNotFound) {
		t.Errorf("error %v\nwant %s", err, want)
	}
}

var cmpImage = cmp.AllowUnexported(Image{})

func TestEveryTreeBuilds(t *testing.T) {
	t.Parallel()
	c := NewCatalog()
	for _, kind := range Kinds() {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			s, _ := specByKind(kind)
			img := Image{Ref: kind, kind: kind, Env: s.env}
			tree, err := c.Tree(img)
			if err != nil {
				t.Fatal(err)
			}
			fs, err := vfs.New(tree, nil, vfs.Options{})
			if err != nil {
				t.Fatal(err)
			}
			// the default command exists in the image
			argv := append(append([]string(nil), s.entrypoint...), s.cmd...)
			if len(argv) == 0 {
				t.Fatal("no default command")
			}
			found := false
			for _, dir := range []string{"", "/bin", "/usr/bin", "/usr/local/bin", "/usr/sbin", "/usr/local/apache2/bin", "/usr/lib/postgresql/17/bin"} {
				name := argv[0]
				if !strings.HasPrefix(name, "/") {
					name = dir + "/" + name
				}
				if st, err := fs.Stat(name); err == nil && st.Mode()&0o111 != 0 {
					found = true
					break
				}
			}
			if !found {
				t.Errorf("default command %q is not in the image", argv[0])
			}
		})
	}
}

func TestPrograms(t *testing.T) {
	t.Parallel()
	if name, ok := ProgramName(Program("nginx")); !ok || name != "nginx" {
		t.Errorf("round trip: %q %v", name, ok)
	}
	if _, ok := ProgramName([]byte("#!/bin/sh\n")); ok {
		t.Error("a script is not a program")
	}
	for _, tt := range []struct{ name, want string }{{"sh", "ash"}, {"ls", "ls"}, {"awk", "unsupported"}} {
		if got, ok := BusyboxApplet(tt.name); !ok || got != tt.want {
			t.Errorf("BusyboxApplet(%q) = %q, %v", tt.name, got, ok)
		}
	}
	if _, ok := BusyboxApplet("nosuch"); ok {
		t.Error("busybox has every applet")
	}
}

func TestTestImages(t *testing.T) {
	t.Parallel()
	c := NewCatalog()
	tests := []struct {
		ref, kind, argv string
		env             []string
		workdir         string
	}{
		{ref: "registry.k8s.io/e2e-test-images/agnhost:2.53", kind: "agnhost", argv: "/agnhost pause", env: []string{defaultPath}},
		{ref: "registry.k8s.io/e2e-test-images/agnhost:2.52", kind: "agnhost", argv: "/agnhost pause", env: []string{defaultPath}},
		{ref: "k8s.gcr.io/e2e-test-images/agnhost:2.39", kind: "agnhost", argv: "/agnhost pause", env: []string{defaultPath}},
		{ref: "hashicorp/http-echo", kind: "http-echo", argv: "/http-echo", workdir: "/home/nonroot",
			env: []string{defaultPath, "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt", "ECHO_TEXT=hello-world"}},
		{ref: "hashicorp/http-echo:1.0", kind: "http-echo", argv: "/http-echo", workdir: "/home/nonroot",
			env: []string{defaultPath, "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt", "ECHO_TEXT=hello-world"}},
		{ref: "docker.io/hashicorp/http-echo:0.2.3", kind: "http-echo-0.2", argv: "/http-echo"},
		{ref: "registry.k8s.io/nginx-slim:0.24", kind: "nginx-slim", argv: "nginx -g daemon off;", env: []string{defaultPath}},
		{ref: "registry.k8s.io/nginx-slim:0.21", kind: "nginx-slim", argv: "nginx -g daemon off;", env: []string{defaultPath}},
		{ref: "k8s.gcr.io/nginx-slim:0.8", kind: "nginx-slim", argv: "nginx -g daemon off;", env: []string{defaultPath}},
		{ref: "gcr.io/google_containers/nginx-slim:0.8", kind: "nginx-slim", argv: "nginx -g daemon off;", env: []string{defaultPath}},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			t.Parallel()
			img, err := c.Pull(tt.ref)
			if err != nil {
				t.Fatal(err)
			}
			argv := strings.Join(append(append([]string(nil), img.Entrypoint...), img.Cmd...), " ")
			if img.kind != tt.kind || !img.Known || argv != tt.argv || img.WorkingDir != tt.workdir {
				t.Errorf("got kind %q argv %q workdir %q", img.kind, argv, img.WorkingDir)
			}
			if diff := cmp.Diff(tt.env, img.Env); diff != "" {
				t.Errorf("env (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNginxSlim checks the StatefulSet tutorial's image against the nginx image it is modelled
// on: a Debian userland, the same server and document root, no entrypoint script, and a size
// and stop signal of its own.
func TestNginxSlim(t *testing.T) {
	t.Parallel()
	c := NewCatalog()
	slim, err := c.Pull("registry.k8s.io/nginx-slim:0.24")
	if err != nil {
		t.Fatal(err)
	}
	nginx, err := c.Pull("nginx")
	if err != nil {
		t.Fatal(err)
	}
	if slim.Ref != "registry.k8s.io/nginx-slim:0.24" || !strings.HasPrefix(slim.Digest, "registry.k8s.io/nginx-slim@sha256:") {
		t.Errorf("ref %q digest %q", slim.Ref, slim.Digest)
	}
	if len(slim.Entrypoint) != 0 || slim.StopSignal != proc.SIGTERM || slim.Userland != proc.GNU || slim.WorkingDir != "" {
		t.Errorf("config %+v", slim)
	}
	if slim.Size <= 0 || slim.Size >= nginx.Size {
		t.Errorf("size %d, want a slim image smaller than nginx's %d", slim.Size, nginx.Size)
	}
	tree, err := c.Tree(slim)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := vfs.New(tree, nil, vfs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		program string // "" when the file is not a program
	}{
		{"/usr/sbin/nginx", "nginx"},
		{"/etc/nginx/nginx.conf", ""},
		{"/etc/nginx/conf.d/default.conf", ""},
		{"/usr/share/nginx/html/index.html", ""},
	} {
		b, err := fs.ReadFile(tt.name)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if name, _ := ProgramName(b); name != tt.program {
			t.Errorf("%s runs %q, want %q", tt.name, name, tt.program)
		}
	}
	for _, name := range []string{"/docker-entrypoint.sh", "/usr/bin/curl"} {
		if _, err := fs.Stat(name); err == nil {
			t.Errorf("%s is in the slim image", name)
		}
	}
	if b, err := fs.ReadFile("/etc/debian_version"); err != nil || !strings.HasPrefix(string(b), "12.") {
		t.Errorf("/etc/debian_version = %q, %v", b, err)
	}
}
