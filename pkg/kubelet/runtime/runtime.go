package runtime

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/netip"
	goruntime "runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/commands"
	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/images"
	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/servers"
	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/shell"
)

// Image is a pulled image; see images.Image.
type Image = images.Image

// Signal is a Linux signal number (ContainerConfig.StopSignal, Container.Signal).
type Signal = proc.Signal

// ParseSignal reads "SIGTERM", "TERM" or "15", as a pod's lifecycle.stopSignal is written.
func ParseSignal(s string) (Signal, bool) { return proc.ParseSignal(s) }

// Resolver answers the DNS queries containers send to the nameservers of their
// /etc/resolv.conf (nslookup, dig, getent, curl, wget all ask through it), as whole
// messages so that every tool sees what a real server would send. Cluster DNS plugs in here.
// An error means the server did not reply.
type Resolver interface {
	Exchange(ctx context.Context, server netip.AddrPort, query *dns.Msg) (*dns.Msg, error)
}

// Dialer connects a pod to an address outside itself (another pod, a Service IP). from is the
// pod's address of the same family as to (or invalid). Errors should carry a syscall.Errno
// (ECONNREFUSED, EHOSTUNREACH, ETIMEDOUT) for tools to print.
type Dialer interface {
	Dial(ctx context.Context, from netip.Addr, to netip.AddrPort) (net.Conn, error)
}

// Pinger answers a pod's ICMP echo requests (ping) to addresses outside itself; an
// Options.Dialer may implement it. from is the pod's address of to's family (or invalid).
// It returns nil when an echo reply comes back, syscall.ETIMEDOUT when none does before ctx
// ends (a Service's cluster IP: kube-proxy forwards no ICMP), syscall.EHOSTUNREACH when the
// network reports the host unreachable.
type Pinger interface {
	Ping(ctx context.Context, from, to netip.Addr) error
}

// Options configure a Runtime; the zero value works.
type Options struct {
	// Resolver answers DNS; nil answers each container from its own /etc/hosts (A and AAAA;
	// NXDOMAIN for anything else), so names work before cluster DNS exists.
	Resolver Resolver
	// Dialer reaches other pods; nil makes every address outside the pod unreachable. When
	// it also implements Pinger it answers pings; otherwise only the pod's own addresses and
	// loopback answer and pings to anything else time out.
	Dialer Dialer
	// Uname is the simulated node's kernel and machine; empty fields get defaults.
	Uname proc.Uname
	// LayerLimit caps each container's in-memory writable layer (bytes, default 64 MiB);
	// HostWriteLimit caps what one container may write into its mounts (default 1 GiB).
	LayerLimit, HostWriteLimit int64
	// StrictExec makes `exec set` fail as containerd does instead of printing the
	// environment (see the package documentation).
	StrictExec bool
}

// Runtime runs containers. It is safe for concurrent use; one Runtime can serve many
// kubelets.
type Runtime struct {
	opts     Options
	catalog  *images.Catalog
	programs map[string]proc.Func
	uname    proc.Uname
	addrs    addresses

	// panics counts program panics that were turned into SIGSEGV exits, lastPanic says
	// which (tests check both)
	panics    atomic.Int64
	lastPanic atomic.Value
}

// New returns a Runtime.
func New(opts Options) *Runtime {
	u := opts.Uname
	if u.Sysname == "" {
		u.Sysname = "Linux"
	}
	if u.Release == "" {
		u.Release = "6.8.0-fakecluster"
	}
	if u.Version == "" {
		u.Version = "#1 SMP PREEMPT_DYNAMIC Mon Jan 13 00:00:00 UTC 2025"
	}
	if u.Machine == "" {
		u.Machine = map[string]string{"amd64": "x86_64", "arm64": "aarch64", "386": "i686", "arm": "armv7l"}[goruntime.GOARCH]
		if u.Machine == "" {
			u.Machine = goruntime.GOARCH
		}
	}
	if u.CPUs <= 0 {
		u.CPUs = goruntime.NumCPU()
	}
	if u.MemoryBytes <= 0 {
		u.MemoryBytes = 8 << 30
	}
	if u.Boot.IsZero() {
		u.Boot = time.Now()
	}
	progs := commands.Table()
	for k, v := range servers.Table() {
		progs[k] = v
	}
	progs["ash"] = shell.Applet(shell.Ash)
	progs["dash"] = shell.Applet(shell.Dash)
	progs["bash"] = shell.Applet(shell.Bash)
	return &Runtime{opts: opts, catalog: images.NewCatalog(), programs: progs, uname: u}
}

// PullImage resolves an image reference as containerd pulls it. A reference under the
// .invalid domain fails with an *images.PullError (errors.Is images.ErrNotFound) carrying
// containerd's message; a malformed one with an error wrapping images.ErrInvalidReference.
func (r *Runtime) PullImage(ctx context.Context, ref string) (Image, error) {
	if err := ctx.Err(); err != nil {
		return Image{}, err
	}
	img, err := r.catalog.Pull(ref)
	if err != nil {
		return Image{}, err
	}
	if _, err := r.catalog.Tree(img); err != nil {
		return Image{}, err
	}
	return img, nil
}

// newID is a container, sandbox or exec ID as containerd makes them: 64 hex digits.
func newID() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func basename(s string) string {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[i+1:]
	}
	return s
}
