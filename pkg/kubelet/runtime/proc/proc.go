package proc

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path"
	"strings"
	"syscall"
	"time"

	"github.com/miekg/dns"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/vfs"
)

// Func is a program. It returns its exit status; when the process was killed by a signal the
// runtime reports 128+signal whatever Func returns.
type Func func(p *Proc) int

// Proc is what a running program sees.
type Proc struct {
	// Ctx ends when the process is killed (SIGKILL, or a signal whose default action ends it).
	Ctx context.Context
	// Args is argv; Args[0] is the name the program was started as.
	Args []string
	// Env is the exported environment, "NAME=value" entries.
	Env []string
	// Dir is the absolute working directory.
	Dir string
	// Stdin is never nil (an empty reader stands for /dev/null); Stdout and Stderr neither.
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// TTY says the standard streams are a terminal (kubectl exec -t).
	TTY bool
	// Sys is the kernel and container the program runs on.
	Sys Sys
}

// Userland says whose tools an image carries, for the texts they print.
type Userland int

const (
	// Busybox is busybox's applets (busybox, alpine).
	Busybox Userland = iota
	// GNU is coreutils, procps and friends (debian, ubuntu and the images built on them).
	GNU
)

// ProcessInfo is one entry of the container's process table.
type ProcessInfo struct {
	PID   int
	Args  []string
	Start time.Time
}

// Sys is the runtime side of a process: the container it runs in and the pod's network.
type Sys interface {
	// FS is the container's filesystem.
	FS() *vfs.FS
	// PID is this process' id inside the container (1 for the container's main process).
	PID() int
	// Notify routes the given signals to the returned channel instead of their default action.
	Notify(sigs ...Signal) <-chan Signal
	// Exec runs child.Args as a child process, looked up in the PATH of child.Env, and waits
	// for it. A program that cannot be started gives an *ExecError and no status.
	Exec(child *Proc) (int, error)
	// Replace runs child.Args in place of the calling program, as execve does: the same PID,
	// the new program's signal handling. The caller then exits with the status it gets.
	Replace(child *Proc) (int, error)
	// Kill sends sig to a process of the container: syscall.ESRCH if there is none.
	Kill(pid int, sig Signal) error
	// Processes lists the container's processes by PID.
	Processes() []ProcessInfo
	// Hostname is the kernel hostname (uname -n).
	Hostname() string
	// Userland tells which tools' texts to print.
	Userland() Userland
	// Uname describes the (simulated) node kernel and machine.
	Uname() Uname
	// PodIPs are the addresses of the pod's eth0 with their prefix lengths, in status.podIPs
	// order.
	PodIPs() []netip.Prefix
	// Listen serves a TCP port on every address of the pod (and loopback): each accepted
	// connection is given to serve on its own goroutine. syscall.EADDRINUSE if taken.
	Listen(port int, serve func(net.Conn)) (io.Closer, error)
	// Dial opens a TCP connection from the pod: syscall.ECONNREFUSED when nothing listens,
	// syscall.ENETUNREACH / ETIMEDOUT for addresses the simulated network cannot reach.
	Dial(ctx context.Context, addr netip.AddrPort) (net.Conn, error)
	// Exchange sends one DNS query to server and returns its reply. An error means no reply
	// came.
	Exchange(ctx context.Context, server netip.AddrPort, query *dns.Msg) (*dns.Msg, error)
	// Ping sends one ICMP echo request to addr and waits for the reply until ctx ends: nil
	// when an echo reply came, syscall.ETIMEDOUT when none did, syscall.EHOSTUNREACH when
	// the network reported the host unreachable.
	Ping(ctx context.Context, addr netip.Addr) error
}

// Uname is what uname(2), /proc/cpuinfo and /proc/meminfo would tell a program.
type Uname struct {
	Sysname, Release, Version, Machine string
	CPUs                               int
	MemoryBytes                        int64
	Boot                               time.Time
}

// ExecError says why a program could not be started.
type ExecError struct {
	// Name is the command as given (argv[0]).
	Name string
	// Err is syscall.ENOENT (not found), EACCES (not executable), EISDIR or ENOEXEC.
	Err syscall.Errno
	// InPath says the name had no slash and was searched for in $PATH.
	InPath bool
}

func (e *ExecError) Error() string {
	if e.InPath && e.Err == syscall.ENOENT {
		return "exec: \"" + e.Name + "\": executable file not found in $PATH"
	}
	return "exec: \"" + e.Name + "\": " + Strerror(e.Err)
}

func (e *ExecError) Unwrap() error { return e.Err }

// Getenv returns the value of an environment variable, or "".
func (p *Proc) Getenv(name string) string {
	v, _ := LookupEnv(p.Env, name)
	return v
}

// LookupEnv finds name in a "NAME=value" list; the last entry wins, as getenv does on a list
// that the runtime has already deduplicated.
func LookupEnv(env []string, name string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == name {
			return v, true
		}
	}
	return "", false
}

// Abs makes name absolute against the working directory.
func (p *Proc) Abs(name string) string {
	if path.IsAbs(name) {
		return name
	}
	return path.Join(p.Dir, name)
}

// FS is shorthand for p.Sys.FS().
func (p *Proc) FS() *vfs.FS { return p.Sys.FS() }

// Open opens a file for reading as the program would: relative to the working directory, with
// /dev/stdin (and /proc/self/fd/0, /dev/fd/0) being the process' standard input.
func (p *Proc) Open(name string) (vfs.File, error) {
	return p.OpenFile(name, os.O_RDONLY, 0)
}

// OpenFile is Open with os.OpenFile's flags; /dev/stdout and /dev/stderr are the process'
// streams.
func (p *Proc) OpenFile(name string, flag int, perm fs.FileMode) (vfs.File, error) {
	switch stdFD(name) {
	case 0:
		return streamFile{r: p.Stdin, name: "stdin"}, nil
	case 1:
		return streamFile{w: p.Stdout, name: "stdout"}, nil
	case 2:
		return streamFile{w: p.Stderr, name: "stderr"}, nil
	}
	return p.FS().OpenFile(p.Abs(name), flag, perm)
}

func stdFD(name string) int {
	switch path.Clean(name) {
	case "/dev/stdin", "/proc/self/fd/0", "/dev/fd/0":
		return 0
	case "/dev/stdout", "/proc/self/fd/1", "/dev/fd/1":
		return 1
	case "/dev/stderr", "/proc/self/fd/2", "/dev/fd/2":
		return 2
	}
	return -1
}

type streamFile struct {
	r    io.Reader
	w    io.Writer
	name string
}

func (s streamFile) Read(b []byte) (int, error) {
	if s.r == nil {
		return 0, &fs.PathError{Op: "read", Path: s.name, Err: syscall.EBADF}
	}
	return s.r.Read(b)
}

func (s streamFile) Write(b []byte) (int, error) {
	if s.w == nil {
		return 0, &fs.PathError{Op: "write", Path: s.name, Err: syscall.EBADF}
	}
	return s.w.Write(b)
}

func (s streamFile) Close() error { return nil }

func (s streamFile) Stat() (fs.FileInfo, error) {
	return nil, &fs.PathError{Op: "stat", Path: s.name, Err: syscall.EINVAL}
}

// Errno extracts the syscall.Errno of err (EIO if it carries none).
func Errno(err error) syscall.Errno {
	var e syscall.Errno
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, fs.ErrNotExist) {
		return syscall.ENOENT
	}
	return syscall.EIO
}

// Strerror is glibc's and musl's text for the error, e.g. "No such file or directory".
func Strerror(err error) string {
	switch Errno(err) {
	case syscall.EPERM:
		return "Operation not permitted"
	case syscall.ENOENT:
		return "No such file or directory"
	case syscall.ESRCH:
		return "No such process"
	case syscall.EINTR:
		return "Interrupted system call"
	case syscall.EIO:
		return "Input/output error"
	case syscall.EBADF:
		return "Bad file descriptor"
	case syscall.EACCES:
		return "Permission denied"
	case syscall.EBUSY:
		return "Device or resource busy"
	case syscall.EEXIST:
		return "File exists"
	case syscall.EXDEV:
		return "Invalid cross-device link"
	case syscall.ENOTDIR:
		return "Not a directory"
	case syscall.EISDIR:
		return "Is a directory"
	case syscall.EINVAL:
		return "Invalid argument"
	case syscall.ENOSPC:
		return "No space left on device"
	case syscall.EROFS:
		return "Read-only file system"
	case syscall.EPIPE:
		return "Broken pipe"
	case syscall.ENOEXEC:
		return "Exec format error"
	case syscall.ELOOP:
		return "Too many levels of symbolic links"
	case syscall.ENOTEMPTY:
		return "Directory not empty"
	case syscall.ENAMETOOLONG:
		return "File name too long"
	case syscall.EADDRINUSE:
		return "Address already in use"
	case syscall.ECONNREFUSED:
		return "Connection refused"
	case syscall.ENETUNREACH:
		return "Network is unreachable"
	case syscall.EHOSTUNREACH:
		return "No route to host"
	case syscall.ETIMEDOUT:
		return "Connection timed out"
	case syscall.ECONNRESET:
		return "Connection reset by peer"
	case syscall.EINPROGRESS:
		return "Operation now in progress"
	case syscall.EAFNOSUPPORT:
		return "Address family not supported by protocol"
	}
	return "Input/output error"
}

// Empty is a standard input with nothing to read, what /dev/null gives a process started
// without stdin.
type Empty struct{}

func (Empty) Read([]byte) (int, error) { return 0, io.EOF }

// Terminal is the line discipline behind the standard input of a process started with a TTY:
// Read returns at most one typed line per call, io.EOF once for each ^D on an empty line, and
// ErrInterrupted once after ^C (which also discards what was typed ahead).
type Terminal interface {
	io.Reader
	// Interrupts receives a value for each ^C typed.
	Interrupts() <-chan struct{}
	// ClearInterrupt forgets the ^C typed so far: the program has handled them.
	ClearInterrupt()
}

// ErrInterrupted is returned by a Terminal's Read when ^C is typed.
var ErrInterrupted = errors.New("interrupted")
