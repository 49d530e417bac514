package images

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/vfs"
)

// Image is a pulled image: what containerd reports of it and what a container started from
// it gets.
type Image struct {
	// Ref is the normalised reference, docker.io/library/nginx:latest (status.image).
	Ref string
	// Repo is the repository, docker.io/library/nginx.
	Repo string
	// ID is the image ID, sha256:<hex> (fake, derived from Ref).
	ID string
	// Digest is the repo digest, docker.io/library/nginx@sha256:<hex> (status.imageID; fake).
	Digest string
	// Size is the image size in bytes, as the kubelet's Pulled event prints it.
	Size int64
	// Env, Entrypoint, Cmd and WorkingDir are the image configuration.
	Env        []string
	Entrypoint []string
	Cmd        []string
	WorkingDir string
	// StopSignal is the image's STOPSIGNAL, SIGTERM when it sets none.
	StopSignal proc.Signal
	// Userland is whose tools the image carries (busybox or GNU), for their messages.
	Userland proc.Userland
	// Known says the catalog describes this image; an unknown one gets a generic busybox
	// userland and an entrypoint that runs until stopped.
	Known bool

	kind string
}

// ErrNotFound is wrapped by a *PullError for an image that cannot be pulled.
var ErrNotFound = errors.New("image not found")

// PullError is a failed pull, with containerd's message.
type PullError struct {
	Ref     string
	Message string
}

func (e *PullError) Error() string { return e.Message }
func (e *PullError) Unwrap() error { return ErrNotFound }

// Catalog resolves references to images and builds each image's tree once.
type Catalog struct {
	mu    sync.Mutex
	trees map[string]*vfs.Tree
}

// NewCatalog returns an empty catalog; trees are built on first use.
func NewCatalog() *Catalog { return &Catalog{trees: map[string]*vfs.Tree{}} }

func fakeHash(kind, ref string) string {
	h := sha256.Sum256([]byte("fakecluster " + kind + " " + ref))
	return hex.EncodeToString(h[:])
}

// Pull resolves ref. A reference that does not parse gives an error wrapping
// ErrInvalidReference; one under .invalid gives a *PullError with containerd's text.
func (c *Catalog) Pull(ref string) (Image, error) {
	r, err := ParseReference(ref)
	if err != nil {
		return Image{}, fmt.Errorf("parse image reference %q: %w", ref, err)
	}
	norm := r.String()
	if r.unresolvable() {
		host, _, _ := strings.Cut(r.Domain, ":")
		target := r.Tag
		if r.Digest != "" {
			target = r.Digest
		}
		return Image{}, &PullError{Ref: norm, Message: fmt.Sprintf(
			"failed to pull and unpack image %q: failed to resolve reference %q: failed to do request: Head %q: dial tcp: lookup %s: no such host",
			norm, norm, "https://"+r.Domain+"/v2/"+r.Path+"/manifests/"+target, host)}
	}
	s := specFor(r)
	img := Image{
		Ref:        norm,
		Repo:       r.Repo(),
		ID:         "sha256:" + fakeHash("config", norm),
		Digest:     r.Repo() + "@sha256:" + fakeHash("manifest", norm),
		Size:       s.size,
		Env:        append([]string(nil), s.env...),
		Entrypoint: append([]string(nil), s.entrypoint...),
		Cmd:        append([]string(nil), s.cmd...),
		WorkingDir: s.workdir,
		StopSignal: s.stop,
		Userland:   s.userland,
		Known:      s.kind != "unknown",
		kind:       s.kind,
	}
	if r.Digest != "" {
		img.Digest = r.Repo() + "@" + r.Digest
	}
	if img.StopSignal == 0 {
		img.StopSignal = proc.SIGTERM
	}
	return img, nil
}

// Tree returns the image's filesystem, built on first use and shared by every container of
// the image.
func (c *Catalog) Tree(img Image) (*vfs.Tree, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.trees[img.kind]; ok {
		return t, nil
	}
	s, ok := specByKind(img.kind)
	if !ok {
		return nil, fmt.Errorf("image %s: no tree for kind %q", img.Ref, img.kind)
	}
	b := vfs.NewBuilder(s.built)
	s.build(b)
	t, err := b.Tree()
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", img.Ref, err)
	}
	c.trees[img.kind] = t
	return t, nil
}

// programMagic starts the content of every simulated executable: an ELF header (so the
// file looks like a binary to cat and file) followed by the program's name in the runtime's
// table. Copying the file copies the program.
const programMagic = "\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00fakecluster:"

// Program is the content of an executable that runs the named program.
func Program(name string) []byte { return []byte(programMagic + name + "\n") }

// ProgramName reads the program name out of an executable's first bytes.
func ProgramName(head []byte) (string, bool) {
	rest, ok := bytes.CutPrefix(head, []byte(programMagic))
	if !ok {
		return "", false
	}
	name, _, ok := bytes.Cut(rest, []byte("\n"))
	return string(name), ok && len(name) > 0
}

// BusyboxApplet maps a name busybox is run under (argv[0]) to the program that implements
// it ("unsupported" for an applet busybox has but the runtime does not simulate); ok is false
// for a name busybox does not have ("applet not found").
func BusyboxApplet(name string) (string, bool) {
	if name == "sh" {
		return "ash", true
	}
	for _, a := range busyboxApplets() {
		if a == name {
			return a, true
		}
	}
	for _, a := range unsupportedBusybox() {
		if a == name {
			return "unsupported", true
		}
	}
	return "", false
}

// spec is one catalog entry.
type spec struct {
	kind       string
	env        []string
	entrypoint []string
	cmd        []string
	workdir    string
	stop       proc.Signal
	userland   proc.Userland
	size       int64
	built      time.Time
	build      func(*vfs.Builder)
}

const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// specFor picks the catalog entry of a reference by repository, and the alpine variant for
// alpine tags of images that have one.
func specFor(r Reference) spec {
	alpineTag := strings.Contains(r.Tag, "alpine")
	switch r.Repo() {
	case "docker.io/library/busybox":
		return mustSpec("busybox")
	case "docker.io/library/alpine":
		return mustSpec("alpine")
	case "docker.io/library/debian":
		return mustSpec("debian")
	case "docker.io/library/ubuntu":
		return mustSpec("ubuntu")
	case "docker.io/library/nginx":
		if alpineTag {
			return mustSpec("nginx-alpine")
		}
		return mustSpec("nginx")
	case "registry.k8s.io/nginx-slim", "k8s.gcr.io/nginx-slim", "gcr.io/google_containers/nginx-slim":
		return mustSpec("nginx-slim")
	case "docker.io/library/httpd":
		return mustSpec("httpd")
	case "docker.io/library/redis":
		return mustSpec("redis")
	case "docker.io/library/postgres":
		return mustSpec("postgres")
	case "docker.io/library/python":
		return mustSpec("python")
	case "docker.io/library/node":
		return mustSpec("node")
	case "registry.k8s.io/pause", "k8s.gcr.io/pause", "gcr.io/google_containers/pause":
		return mustSpec("pause")
	case "docker.io/curlimages/curl":
		return mustSpec("curl")
	case "docker.io/nicolaka/netshoot":
		return mustSpec("netshoot")
	case "registry.k8s.io/e2e-test-images/agnhost", "k8s.gcr.io/e2e-test-images/agnhost",
		"gcr.io/k8s-staging-e2e-test-images/agnhost", "gcr.io/kubernetes-e2e-test-images/agnhost":
		return mustSpec("agnhost")
	case "docker.io/hashicorp/http-echo":
		if strings.HasPrefix(r.Tag, "0.") {
			return mustSpec("http-echo-0.2")
		}
		return mustSpec("http-echo")
	}
	return mustSpec("unknown")
}

func mustSpec(kind string) spec {
	s, _ := specByKind(kind)
	return s
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func specByKind(kind string) (spec, bool) {
	switch kind {
	case "busybox":
		return spec{kind: kind, env: []string{defaultPath}, cmd: []string{"sh"}, size: 2156518,
			userland: proc.Busybox, built: day(2024, 9, 26), build: busyboxImage}, true
	case "alpine":
		return spec{kind: kind, env: []string{defaultPath}, cmd: []string{"/bin/sh"}, size: 3653068,
			userland: proc.Busybox, built: day(2025, 1, 8), build: func(b *vfs.Builder) { alpineImage(b, nil) }}, true
	case "debian":
		return spec{kind: kind, env: []string{defaultPath}, cmd: []string{"bash"}, size: 48494272,
			userland: proc.GNU, built: day(2025, 1, 13), build: func(b *vfs.Builder) { debianImage(b, debianOSRelease, "12.9\n", nil) }}, true
	case "ubuntu":
		return spec{kind: kind, env: []string{defaultPath}, cmd: []string{"/bin/bash"}, size: 29754422,
			userland: proc.GNU, built: day(2025, 1, 13), build: func(b *vfs.Builder) { debianImage(b, ubuntuOSRelease, "trixie/sid\n", nil) }}, true
	case "nginx":
		return spec{kind: kind, env: nginxEnv(), entrypoint: []string{"/docker-entrypoint.sh"},
			cmd: []string{"nginx", "-g", "daemon off;"}, stop: proc.SIGQUIT, size: 72195292,
			userland: proc.GNU, built: day(2025, 4, 16), build: func(b *vfs.Builder) { debianImage(b, debianOSRelease, "12.9\n", nginxFiles) }}, true
	case "nginx-alpine":
		return spec{kind: kind, env: nginxEnv(), entrypoint: []string{"/docker-entrypoint.sh"},
			cmd: []string{"nginx", "-g", "daemon off;"}, stop: proc.SIGQUIT, size: 20486114,
			userland: proc.Busybox, built: day(2025, 4, 16), build: func(b *vfs.Builder) { alpineImage(b, nginxFiles) }}, true
	case "nginx-slim":
		// the web server of the StatefulSet tutorial (registry.k8s.io/nginx-slim:0.24; 0.8 and
		// 0.21 in older docs), a small Debian-based nginx build of Kubernetes' test images.
		// Modelled as nginx without the official image's docker-entrypoint.sh, curl or
		// STOPSIGNAL (so SIGTERM stops it); the server, and the version it reports, are the
		// nginx image's. One entry serves every tag.
		return spec{kind: kind, env: []string{defaultPath}, cmd: []string{"nginx", "-g", "daemon off;"}, size: 25367431,
			userland: proc.GNU, built: day(2024, 3, 4), build: func(b *vfs.Builder) { debianImage(b, debianOSRelease, "12.5\n", nginxServerFiles) }}, true
	case "httpd":
		return spec{kind: kind, env: []string{"PATH=/usr/local/apache2/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"HTTPD_PREFIX=/usr/local/apache2", "HTTPD_VERSION=2.4.63", "HTTPD_PATCHES="},
			cmd: []string{"httpd-foreground"}, workdir: "/usr/local/apache2", stop: proc.SIGWINCH, size: 58121573,
			userland: proc.GNU, built: day(2025, 1, 23), build: func(b *vfs.Builder) { debianImage(b, debianOSRelease, "12.9\n", httpdFiles) }}, true
	case "redis":
		return spec{kind: kind, env: []string{defaultPath, "REDIS_DOWNLOAD_URL=http://download.redis.io/releases/redis-7.4.2.tar.gz", "REDIS_VERSION=7.4.2"},
			entrypoint: []string{"docker-entrypoint.sh"}, cmd: []string{"redis-server"}, workdir: "/data", size: 45117658,
			userland: proc.GNU, built: day(2025, 1, 14), build: func(b *vfs.Builder) { debianImage(b, debianOSRelease, "12.9\n", redisFiles) }}, true
	case "postgres":
		return spec{kind: kind, env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/postgresql/17/bin",
			"GOSU_VERSION=1.17", "LANG=en_US.utf8", "PG_MAJOR=17", "PG_VERSION=17.2-1.pgdg120+1", "PGDATA=/var/lib/postgresql/data"},
			entrypoint: []string{"docker-entrypoint.sh"}, cmd: []string{"postgres"}, stop: proc.SIGINT, size: 158289733,
			userland: proc.GNU, built: day(2025, 1, 14), build: func(b *vfs.Builder) { debianImage(b, debianOSRelease, "12.9\n", postgresFiles) }}, true
	case "python":
		return spec{kind: kind, env: []string{"PATH=/usr/local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"LANG=C.UTF-8", "GPG_KEY=7169605F62C751356D054A26A821E680E5FA6305", "PYTHON_VERSION=3.13.1"},
			cmd: []string{"python3"}, size: 412472856,
			userland: proc.GNU, built: day(2024, 12, 4), build: func(b *vfs.Builder) { debianImage(b, debianOSRelease, "12.9\n", pythonFiles) }}, true
	case "node":
		return spec{kind: kind, env: []string{defaultPath, "NODE_VERSION=22.12.0", "YARN_VERSION=1.22.22"},
			entrypoint: []string{"docker-entrypoint.sh"}, cmd: []string{"node"}, size: 390182571,
			userland: proc.GNU, built: day(2024, 12, 3), build: func(b *vfs.Builder) { debianImage(b, debianOSRelease, "12.9\n", nodeFiles) }}, true
	case "pause":
		return spec{kind: kind, entrypoint: []string{"/pause"}, size: 320368,
			userland: proc.Busybox, built: day(2024, 5, 14), build: pauseImage}, true
	case "curl":
		return spec{kind: kind, env: []string{defaultPath, "CURL_VERSION=8.11.1", "CURL_RELEASE_TAG=curl-8_11_1"},
			entrypoint: []string{"/entrypoint.sh"}, cmd: []string{"curl"}, size: 11798373,
			userland: proc.Busybox, built: day(2024, 12, 11), build: func(b *vfs.Builder) { alpineImage(b, curlFiles) }}, true
	case "netshoot":
		return spec{kind: kind, env: []string{defaultPath}, cmd: []string{"zsh"}, size: 180431262,
			userland: proc.Busybox, built: day(2024, 11, 20), build: func(b *vfs.Builder) { alpineImage(b, netshootFiles) }}, true
	case "agnhost":
		// test/images/agnhost/Dockerfile: alpine:3.21 with bind-tools curl netcat-openbsd
		// iproute2 iperf bash, ENTRYPOINT ["/agnhost"], CMD ["pause"]
		return spec{kind: kind, env: []string{defaultPath}, entrypoint: []string{"/agnhost"}, cmd: []string{"pause"}, size: 52494147,
			userland: proc.Busybox, built: day(2025, 1, 21), build: func(b *vfs.Builder) { alpineImage(b, agnhostFiles) }}, true
	case "http-echo":
		// gcr.io/distroless/static-debian12:nonroot, ENV ECHO_TEXT="hello-world",
		// ENTRYPOINT ["/http-echo"]
		return spec{kind: kind, env: []string{defaultPath, "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt", "ECHO_TEXT=hello-world"},
			entrypoint: []string{"/http-echo"}, workdir: "/home/nonroot", size: 3655762,
			userland: proc.GNU, built: day(2023, 10, 10), build: func(b *vfs.Builder) { distrolessImage(b, "http-echo") }}, true
	case "http-echo-0.2":
		// FROM scratch, ENTRYPOINT ["/http-echo"]
		return spec{kind: kind, entrypoint: []string{"/http-echo"}, size: 2497592,
			userland: proc.GNU, built: day(2017, 5, 25), build: func(b *vfs.Builder) { scratchImage(b, "/http-echo", "http-echo-0.2") }}, true
	case "unknown":
		return spec{kind: kind, env: []string{defaultPath}, entrypoint: []string{"/app"}, size: 10485760,
			userland: proc.Busybox, built: day(2025, 1, 1), build: unknownImage}, true
	}
	return spec{}, false
}

func nginxEnv() []string {
	return []string{defaultPath, "NGINX_VERSION=1.27.5", "NJS_VERSION=0.8.10", "NJS_RELEASE=1~bookworm",
		"PKG_RELEASE=1~bookworm", "DYNPKG_RELEASE=1~bookworm"}
}

// Kinds lists the catalog's entries, for tests that build every tree.
func Kinds() []string {
	return []string{"busybox", "alpine", "debian", "ubuntu", "nginx", "nginx-alpine", "nginx-slim", "httpd", "redis",
		"postgres", "python", "node", "pause", "curl", "netshoot", "agnhost", "http-echo", "http-echo-0.2", "unknown"}
}
