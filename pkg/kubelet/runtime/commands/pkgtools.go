package commands

import (
	"fmt"
	"strings"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
)

// apk is Alpine's package manager on a pod without a way out to the internet: every fetch
// fails, so nothing can be installed.
func apk(p *proc.Proc) int {
	if len(p.Args) < 2 {
		fmt.Fprintln(p.Stdout, "apk-tools 2.14.6, compiled for x86_64.")
		return 1
	}
	fetch := func() {
		for _, repo := range []string{"main", "community"} {
			fmt.Fprintf(p.Stderr, "fetch https://dl-cdn.alpinelinux.org/alpine/v3.21/%s/x86_64/APKINDEX.tar.gz\n", repo)
			fmt.Fprintf(p.Stderr, "WARNING: fetching https://dl-cdn.alpinelinux.org/alpine/v3.21/%s: temporary error (try again later)\n", repo)
		}
	}
	switch p.Args[1] {
	case "update":
		fetch()
		fmt.Fprintln(p.Stderr, "2 unavailable, 0 stale; 15 distinct packages available")
		return 2
	case "add":
		var pkgs []string
		for _, a := range p.Args[2:] {
			if !strings.HasPrefix(a, "-") {
				pkgs = append(pkgs, a)
			}
		}
		fetch()
		if len(pkgs) == 0 {
			return 0
		}
		fmt.Fprintln(p.Stderr, "ERROR: unable to select packages:")
		for _, n := range pkgs {
			fmt.Fprintf(p.Stderr, "  %s (no such package):\n    required by: world[%s]\n", n, n)
		}
		return len(pkgs)
	}
	return 0
}

// aptGet is apt-get (and apt) on a pod that cannot resolve the Debian mirrors.
func aptGet(p *proc.Proc) int {
	if len(p.Args) < 2 {
		fmt.Fprintln(p.Stdout, "apt 2.6.1 (amd64)")
		return 1
	}
	switch p.Args[1] {
	case "update":
		suites := []string{"bookworm", "bookworm-updates", "bookworm-security"}
		for i, s := range suites {
			host := "deb.debian.org/debian"
			if strings.HasSuffix(s, "security") {
				host = "deb.debian.org/debian-security"
			}
			fmt.Fprintf(p.Stdout, "Ign:%d http://%s %s InRelease\n", i+1, host, s)
		}
		for i, s := range suites {
			host := "deb.debian.org/debian"
			if strings.HasSuffix(s, "security") {
				host = "deb.debian.org/debian-security"
			}
			fmt.Fprintf(p.Stdout, "Err:%d http://%s %s InRelease\n  Temporary failure resolving 'deb.debian.org'\n", i+1, host, s)
		}
		fmt.Fprintln(p.Stdout, "Reading package lists... Done")
		for _, s := range suites {
			host := "deb.debian.org/debian"
			if strings.HasSuffix(s, "security") {
				host = "deb.debian.org/debian-security"
			}
			fmt.Fprintf(p.Stderr, "W: Failed to fetch http://%s/dists/%s/InRelease  Temporary failure resolving 'deb.debian.org'\n", host, s)
		}
		fmt.Fprintln(p.Stderr, "W: Some index files failed to download. They have been ignored, or old ones used instead.")
		return 0
	case "install":
		fmt.Fprintln(p.Stdout, "Reading package lists... Done\nBuilding dependency tree... Done\nReading state information... Done")
		for _, a := range p.Args[2:] {
			if !strings.HasPrefix(a, "-") {
				fmt.Fprintf(p.Stderr, "E: Unable to locate package %s\n", a)
				return 100
			}
		}
		fmt.Fprintln(p.Stdout, "0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.")
		return 0
	}
	return 0
}

// unsupported stands for a program an image really carries that the runtime does not
// simulate.
func unsupported(p *proc.Proc) int {
	fmt.Fprintf(p.Stderr, "%s: not simulated by fakecluster's container runtime\n", name(p))
	return 1
}
