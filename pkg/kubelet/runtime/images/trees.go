package images

import (
	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/servers"
	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/vfs"
)

// commonTools are the programs of both userlands that the commands package implements.
func commonTools() []string {
	return []string{"basename", "base64", "cat", "chmod", "cp", "cut", "date", "dirname", "echo", "egrep", "env",
		"false", "fgrep", "find", "grep", "head", "hostname", "id", "ln", "ls", "md5sum", "mkdir", "mv", "nl",
		"nohup", "nproc", "printenv", "printf", "pwd", "readlink", "realpath", "rm", "rmdir", "sed", "seq",
		"sha256sum", "sleep", "sort", "stat", "tac", "tail", "tar", "tee", "test", "[", "timeout", "touch", "tr",
		"true", "uname", "uniq", "wc", "whoami", "xargs", "yes", "which"}
}

// busyboxApplets are the busybox applets the runtime runs (sh is ash).
func busyboxApplets() []string {
	return append(commonTools(), "ash", "ip", "kill", "nslookup", "ps", "wget", "uptime", "free", "rev", "nc", "ping", "ping6")
}

// unsupportedTools are programs real images carry that the runtime does not simulate; they
// exist (ls shows them) and say so when run.
func unsupportedBusybox() []string {
	return []string{"awk", "vi", "top", "df", "du", "less", "more", "diff", "netstat",
		"traceroute", "telnet", "ifconfig", "route", "dd", "gzip", "gunzip", "zcat", "unzip", "watch", "hexdump",
		"od", "strings", "chown", "chgrp", "mktemp", "expr", "dmesg", "pgrep", "pkill", "pidof", "killall", "su",
		"mount", "umount", "sync", "arp"}
}

func unsupportedGNU() []string {
	return []string{"awk", "mawk", "diff", "dd", "df", "du", "chown", "chgrp", "mktemp", "expr", "od", "gzip",
		"gunzip", "zcat", "more", "mount", "umount", "su", "sync", "login", "passwd", "apt-get", "apt", "dpkg"}
}

// baseDirs lays out the directories every image has, the device nodes and the files the
// kubelet mounts over (/etc/hosts, /etc/hostname, /etc/resolv.conf).
func baseDirs(b *vfs.Builder) {
	for _, d := range []string{"/etc", "/home", "/mnt", "/opt", "/proc", "/sys", "/srv", "/run", "/usr/bin",
		"/usr/sbin", "/usr/lib", "/usr/local/bin", "/usr/local/sbin", "/usr/share", "/var/log", "/var/lib",
		"/var/cache", "/var/spool", "/dev/pts", "/dev/shm", "/dev/mqueue"} {
		b.Dir(d, 0o755)
	}
	b.Dir("/root", 0o700)
	b.Dir("/tmp", 0o1777)
	b.Dir("/var/tmp", 0o1777)
	b.Device("/dev/null", vfs.DevNull)
	b.Device("/dev/zero", vfs.DevZero)
	b.Device("/dev/full", vfs.DevFull)
	b.Device("/dev/random", vfs.DevRandom)
	b.Device("/dev/urandom", vfs.DevRandom)
	b.Device("/dev/tty", vfs.DevNull)
	b.Symlink("/dev/stdin", "/proc/self/fd/0")
	b.Symlink("/dev/stdout", "/proc/self/fd/1")
	b.Symlink("/dev/stderr", "/proc/self/fd/2")
	b.Symlink("/dev/fd", "/proc/self/fd")
	for _, f := range []string{"/etc/hosts", "/etc/hostname", "/etc/resolv.conf"} {
		b.File(f, nil, 0o644)
	}
}

func tools(b *vfs.Builder, dir string, names []string) {
	for _, n := range names {
		b.File(dir+"/"+n, Program(n), 0o755)
	}
}

func busyboxImage(b *vfs.Builder) {
	baseDirs(b)
	b.Dir("/bin", 0o755)
	// busybox's applets are hard links of one binary: each runs the applet it is named as
	for _, n := range append(append(busyboxApplets(), "sh"), unsupportedBusybox()...) {
		b.File("/bin/"+n, Program("busybox"), 0o755)
	}
	b.File("/bin/busybox", Program("busybox"), 0o755)
	b.File("/etc/passwd", []byte(busyboxPasswd), 0o644)
	b.File("/etc/group", []byte(busyboxGroup), 0o644)
	b.File("/etc/shadow", []byte("root:*::0:::::\n"), 0o600)
	b.File("/etc/nsswitch.conf", []byte("hosts: files dns\n"), 0o644)
	b.Dir("/var/www", 0o755)
}

// alpineImage is alpine's busybox with its symlinks, musl's getent, and the extra files of
// an image built on it.
func alpineImage(b *vfs.Builder, extra func(*vfs.Builder, string)) {
	baseDirs(b)
	b.Dir("/bin", 0o755)
	b.Dir("/sbin", 0o755)
	b.File("/bin/busybox", Program("busybox"), 0o755)
	for _, n := range append(append(busyboxApplets(), "sh"), unsupportedBusybox()...) {
		switch n {
		case "ip", "ifconfig", "route", "arp", "sysctl":
			b.Symlink("/sbin/"+n, "/bin/busybox")
		default:
			b.Symlink("/bin/"+n, "/bin/busybox")
		}
	}
	b.File("/usr/bin/getent", Program("getent"), 0o755)
	b.File("/sbin/apk", Program("apk"), 0o755)
	b.File("/etc/os-release", []byte(alpineOSRelease), 0o644)
	b.File("/etc/alpine-release", []byte("3.21.2\n"), 0o644)
	b.File("/etc/passwd", []byte(alpinePasswd), 0o644)
	b.File("/etc/group", []byte(alpineGroup), 0o644)
	b.File("/etc/shadow", []byte("root:*::0:::::\n"), 0o640)
	b.Dir("/etc/apk", 0o755)
	b.File("/etc/apk/repositories", []byte("https://dl-cdn.alpinelinux.org/alpine/v3.21/main\nhttps://dl-cdn.alpinelinux.org/alpine/v3.21/community\n"), 0o644)
	b.Dir("/lib", 0o755)
	b.File("/lib/ld-musl-x86_64.so.1", Program("ld-musl"), 0o755)
	if extra != nil {
		extra(b, "alpine")
	}
}

func debianImage(b *vfs.Builder, osRelease, version string, extra func(*vfs.Builder, string)) {
	baseDirs(b)
	// merged /usr
	b.Symlink("/bin", "usr/bin")
	b.Symlink("/sbin", "usr/sbin")
	b.Symlink("/lib", "usr/lib")
	b.Symlink("/lib64", "usr/lib64")
	tools(b, "/usr/bin", commonTools())
	tools(b, "/usr/bin", []string{"dash", "bash", "getent", "apt-get", "apt"})
	for _, n := range unsupportedGNU() {
		if n != "apt-get" && n != "apt" {
			b.File("/usr/bin/"+n, Program("unsupported"), 0o755)
		}
	}
	b.Symlink("/usr/bin/sh", "dash")
	b.Symlink("/usr/bin/rbash", "bash")
	b.File("/usr/lib/os-release", []byte(osRelease), 0o644)
	b.Symlink("/etc/os-release", "../usr/lib/os-release")
	b.File("/etc/debian_version", []byte(version), 0o644)
	b.File("/etc/passwd", []byte(debianPasswd), 0o644)
	b.File("/etc/group", []byte(debianGroup), 0o644)
	b.File("/etc/shadow", []byte("root:*:20100:0:99999:7:::\n"), 0o640)
	b.File("/etc/bash.bashrc", []byte(bashrc), 0o644)
	b.File("/root/.bashrc", []byte(rootBashrc), 0o644)
	b.File("/root/.profile", []byte("# ~/.profile: executed by Bourne-compatible login shells.\n\nif [ \"$BASH\" ]; then\n  if [ -f ~/.bashrc ]; then\n    . ~/.bashrc\n  fi\nfi\n\nmesg n 2> /dev/null || true\n"), 0o644)
	b.File("/etc/nsswitch.conf", []byte("passwd:         files\ngroup:          files\nshadow:         files\n\nhosts:          files dns\nnetworks:       files\n"), 0o644)
	b.Dir("/var/lib/apt/lists", 0o755)
	b.Dir("/etc/apt", 0o755)
	if extra != nil {
		extra(b, "debian")
	}
}

func pauseImage(b *vfs.Builder) {
	b.Dir("/dev", 0o755)
	b.Dir("/proc", 0o555)
	b.Dir("/sys", 0o555)
	b.Dir("/etc", 0o755)
	for _, f := range []string{"/etc/hosts", "/etc/hostname", "/etc/resolv.conf"} {
		b.File(f, nil, 0o644)
	}
	b.Device("/dev/null", vfs.DevNull)
	b.File("/pause", Program("pause"), 0o755)
}

func unknownImage(b *vfs.Builder) {
	busyboxImage(b)
	b.File("/app", Program("app"), 0o755)
}

// nginxFiles is the official nginx image: the server, its docker-entrypoint.sh, and curl.
func nginxFiles(b *vfs.Builder, base string) {
	nginxServerFiles(b, base)
	b.File("/docker-entrypoint.sh", Program("nginx-entrypoint"), 0o775)
	b.Dir("/docker-entrypoint.d", 0o755)
	b.File("/docker-entrypoint.d/10-listen-on-ipv6-by-default.sh", []byte("#!/bin/sh\n# vim:sw=4:ts=4:et\n\nset -e\n"), 0o775)
	b.File("/docker-entrypoint.d/15-local-resolvers.envsh", []byte("#!/bin/sh\n# vim:sw=2:ts=2:sts=2:et\n\nset -eu\n"), 0o775)
	b.File("/docker-entrypoint.d/20-envsubst-on-templates.sh", []byte("#!/bin/sh\n\nset -e\n"), 0o775)
	b.File("/docker-entrypoint.d/30-tune-worker-processes.sh", []byte("#!/bin/sh\n# vim:sw=2:ts=2:sts=2:et\n\nset -eu\n"), 0o775)
	b.File("/usr/bin/curl", Program("curl"), 0o755)
	if base == "debian" {
		b.File("/usr/bin/envsubst", Program("unsupported"), 0o755)
	}
}

// nginxServerFiles is nginx itself: the binary, its configuration, the default pages and the
// log links to the container's output.
func nginxServerFiles(b *vfs.Builder, base string) {
	b.File("/usr/sbin/nginx", Program("nginx"), 0o755)
	b.File("/usr/sbin/nginx-debug", Program("nginx"), 0o755)
	b.File("/etc/nginx/nginx.conf", []byte(nginxConf), 0o644)
	b.File("/etc/nginx/conf.d/default.conf", []byte(servers.NginxDefaultConf), 0o644)
	b.File("/etc/nginx/mime.types", []byte("types {\n    text/html                                        html htm shtml;\n    text/css                                         css;\n    application/javascript                           js;\n    application/json                                 json;\n    image/png                                        png;\n}\n"), 0o644)
	b.File("/etc/nginx/fastcgi_params", []byte("fastcgi_param  QUERY_STRING       $query_string;\n"), 0o644)
	b.Symlink("/etc/nginx/modules", "/usr/lib/nginx/modules")
	b.Dir("/usr/lib/nginx/modules", 0o755)
	b.File("/usr/share/nginx/html/index.html", []byte(NginxIndex), 0o644)
	b.File("/usr/share/nginx/html/50x.html", []byte(nginx50x), 0o644)
	b.Dir("/var/cache/nginx", 0o755)
	b.Dir("/var/log/nginx", 0o755)
	b.Symlink("/var/log/nginx/access.log", "/dev/stdout")
	b.Symlink("/var/log/nginx/error.log", "/dev/stderr")
	if base == "debian" {
		b.File("/etc/passwd", []byte(debianPasswd+"nginx:x:101:101:nginx user:/nonexistent:/bin/false\n"), 0o644)
		b.File("/etc/group", []byte(debianGroup+"nginx:x:101:\n"), 0o644)
	} else {
		b.File("/etc/passwd", []byte(alpinePasswd+"nginx:x:101:101:nginx:/var/cache/nginx:/sbin/nologin\n"), 0o644)
	}
}

func httpdFiles(b *vfs.Builder, _ string) {
	b.File("/usr/local/apache2/bin/httpd", Program("httpd"), 0o755)
	b.File("/usr/local/apache2/bin/apachectl", Program("unsupported"), 0o755)
	b.File("/usr/local/bin/httpd-foreground", Program("httpd-foreground"), 0o755)
	b.File("/usr/local/apache2/htdocs/index.html", []byte(servers.HttpdIndex), 0o644)
	b.File("/usr/local/apache2/conf/httpd.conf", []byte(httpdConf), 0o644)
	b.Dir("/usr/local/apache2/logs", 0o755)
	b.Dir("/usr/local/apache2/cgi-bin", 0o755)
}

func redisFiles(b *vfs.Builder, _ string) {
	b.File("/usr/local/bin/redis-server", Program("redis-server"), 0o755)
	b.File("/usr/local/bin/redis-cli", Program("redis-cli"), 0o755)
	b.File("/usr/local/bin/docker-entrypoint.sh", Program("redis-entrypoint"), 0o755)
	b.Dir("/data", 0o755)
	b.File("/etc/passwd", []byte(debianPasswd+"redis:x:999:999::/home/redis:/usr/sbin/nologin\n"), 0o644)
	b.File("/etc/group", []byte(debianGroup+"redis:x:999:\n"), 0o644)
}

func postgresFiles(b *vfs.Builder, _ string) {
	b.File("/usr/lib/postgresql/17/bin/postgres", Program("postgres"), 0o755)
	b.File("/usr/lib/postgresql/17/bin/psql", Program("unsupported"), 0o755)
	b.File("/usr/local/bin/docker-entrypoint.sh", Program("postgres-entrypoint"), 0o755)
	b.Dir("/var/lib/postgresql/data", 0o777)
	b.Dir("/var/run/postgresql", 0o2777)
	b.Dir("/docker-entrypoint-initdb.d", 0o755)
	b.File("/etc/passwd", []byte(debianPasswd+"postgres:x:999:999::/var/lib/postgresql:/bin/bash\n"), 0o644)
	b.File("/etc/group", []byte(debianGroup+"postgres:x:999:\n"), 0o644)
}

func pythonFiles(b *vfs.Builder, _ string) {
	for _, n := range []string{"python3", "python", "python3.13"} {
		b.File("/usr/local/bin/"+n, Program("python3"), 0o755)
	}
	b.File("/usr/local/bin/pip", Program("unsupported"), 0o755)
	b.File("/usr/local/bin/pip3", Program("unsupported"), 0o755)
	b.File("/usr/bin/curl", Program("curl"), 0o755)
	b.File("/usr/bin/wget", Program("unsupported"), 0o755)
	b.File("/usr/bin/ps", Program("ps"), 0o755)
	b.File("/usr/bin/kill", Program("kill"), 0o755)
}

func nodeFiles(b *vfs.Builder, _ string) {
	b.File("/usr/local/bin/node", Program("node"), 0o755)
	b.Symlink("/usr/local/bin/nodejs", "node")
	b.File("/usr/local/bin/npm", Program("unsupported"), 0o755)
	b.File("/usr/local/bin/docker-entrypoint.sh", Program("node-entrypoint"), 0o755)
	b.File("/usr/bin/curl", Program("curl"), 0o755)
	b.File("/usr/bin/ps", Program("ps"), 0o755)
	b.File("/usr/bin/kill", Program("kill"), 0o755)
	b.File("/etc/passwd", []byte(debianPasswd+"node:x:1000:1000::/home/node:/bin/bash\n"), 0o644)
	b.File("/etc/group", []byte(debianGroup+"node:x:1000:\n"), 0o644)
}

func curlFiles(b *vfs.Builder, _ string) {
	b.File("/usr/bin/curl", Program("curl"), 0o755)
	b.File("/entrypoint.sh", Program("curl-entrypoint"), 0o755)
	b.File("/etc/passwd", []byte(alpinePasswd+"curl_user:x:100:101:Linux User,,,:/home/curl_user:/sbin/nologin\n"), 0o644)
}

func netshootFiles(b *vfs.Builder, _ string) {
	for _, n := range []string{"bash", "zsh"} {
		b.File("/bin/"+n, Program("bash"), 0o755)
	}
	b.File("/usr/bin/curl", Program("curl"), 0o755)
	// bind-tools, netcat-openbsd and iputils, ahead of busybox's applets
	b.File("/usr/bin/dig", Program("dig"), 0o755)
	b.File("/usr/bin/nc", Program("nc.openbsd"), 0o755)
	b.File("/bin/ping", Program("iputils-ping"), 0o755)
	for _, n := range []string{"tcpdump", "iperf3", "nmap", "socat", "mtr", "jq"} {
		b.File("/usr/bin/"+n, Program("unsupported"), 0o755)
	}
}

// agnhostFiles are what test/images/agnhost/Dockerfile adds to alpine: the packages e2e tests
// use, CoreDNS, porter's certificate, the binary and the user and group of the
// SupplementalGroups test.
func agnhostFiles(b *vfs.Builder, _ string) {
	b.File("/bin/bash", Program("bash"), 0o755)
	b.File("/usr/bin/curl", Program("curl"), 0o755)
	// bind-tools (dig, host and its nslookup, ahead of busybox's in PATH), netcat-openbsd,
	// iperf, iproute2's ss
	b.File("/usr/bin/dig", Program("dig"), 0o755)
	b.File("/usr/bin/nc", Program("nc.openbsd"), 0o755)
	for _, n := range []string{"host", "nslookup", "iperf"} {
		b.File("/usr/bin/"+n, Program("unsupported"), 0o755)
	}
	b.Symlink("/usr/local/bin/iperf", "/usr/bin/iperf")
	b.File("/sbin/ss", Program("unsupported"), 0o755)
	b.File("/coredns", Program("unsupported"), 0o755)
	b.Dir("/uploads", 0o755)
	b.File("/localhost.crt", []byte(agnhostCert), 0o644)
	b.File("/localhost.key", []byte(agnhostKey), 0o644)
	b.File("/agnhost", Program("agnhost"), 0o755)
	b.Symlink("/agnhost-2", "agnhost")
	b.File("/etc/passwd", []byte(alpinePasswd+"user-defined-in-image:x:1000:1000:Linux User,,,:/home/user-defined-in-image:/bin/sh\n"), 0o644)
	b.File("/etc/group", []byte(alpineGroup+"user-defined-in-image:x:1000:\ngroup-defined-in-image:x:50000:user-defined-in-image\n"), 0o644)
	b.Dir("/home/user-defined-in-image", 0o755)
}

// runtimeFiles are what the container runtime puts into any root filesystem: the mount points
// of /dev, /proc and /sys, and the files the kubelet mounts over.
func runtimeFiles(b *vfs.Builder) {
	b.Dir("/dev", 0o755)
	b.Dir("/proc", 0o555)
	b.Dir("/sys", 0o555)
	b.Dir("/etc", 0o755)
	for _, f := range []string{"/etc/hosts", "/etc/hostname", "/etc/resolv.conf"} {
		b.File(f, nil, 0o644)
	}
	b.Device("/dev/null", vfs.DevNull)
	b.Device("/dev/zero", vfs.DevZero)
	b.Device("/dev/urandom", vfs.DevRandom)
}

// distrolessImage is gcr.io/distroless/static-debian12:nonroot (no shell, no tools: users,
// CA certificates, time zones) with the named program at /name.
func distrolessImage(b *vfs.Builder, name string) {
	runtimeFiles(b)
	b.Dir("/root", 0o700)
	b.Dir("/home/nonroot", 0o700)
	b.Dir("/tmp", 0o1777)
	b.Dir("/var/lib/dpkg/status.d", 0o755)
	b.Dir("/usr/share/zoneinfo", 0o755)
	b.File("/etc/passwd", []byte(distrolessPasswd), 0o644)
	b.File("/etc/group", []byte(distrolessGroup), 0o644)
	b.File("/etc/os-release", []byte(distrolessOSRelease), 0o644)
	b.File("/etc/nsswitch.conf", []byte("hosts: files dns\n"), 0o644)
	b.File("/etc/ssl/certs/ca-certificates.crt", nil, 0o644)
	b.File("/"+name, Program(name), 0o755)
}

// scratchImage is an image FROM scratch holding one program at file.
func scratchImage(b *vfs.Builder, file, program string) {
	runtimeFiles(b)
	b.File(file, Program(program), 0o755)
}
