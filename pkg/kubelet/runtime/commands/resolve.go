package commands

import (
	"context"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
)

// resolvConf is what the C library reads from /etc/resolv.conf.
type resolvConf struct {
	servers []netip.AddrPort
	search  []string
	ndots   int
}

func readResolvConf(p *proc.Proc) resolvConf {
	rc := resolvConf{ndots: 1}
	b, err := p.FS().ReadFile("/etc/resolv.conf")
	if err != nil {
		return rc
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 || strings.HasPrefix(f[0], "#") || strings.HasPrefix(f[0], ";") {
			continue
		}
		switch f[0] {
		case "nameserver":
			if a, err := netip.ParseAddr(f[1]); err == nil {
				rc.servers = append(rc.servers, netip.AddrPortFrom(a, 53))
			}
		case "search", "domain":
			rc.search = nil
			for _, s := range f[1:] {
				if s = strings.TrimSuffix(s, "."); s != "" {
					rc.search = append(rc.search, s)
				}
			}
		case "options":
			for _, o := range f[1:] {
				if v, ok := strings.CutPrefix(o, "ndots:"); ok {
					if n, err := strconv.Atoi(v); err == nil {
						rc.ndots = min(n, 15)
					}
				}
			}
		}
	}
	return rc
}

// candidates is the order in which a stub resolver tries a name against the search list.
func (rc resolvConf) candidates(name string) []string {
	if strings.HasSuffix(name, ".") {
		return []string{strings.TrimSuffix(name, ".")}
	}
	var withSearch []string
	for _, s := range rc.search {
		withSearch = append(withSearch, name+"."+s)
	}
	if strings.Count(name, ".") >= rc.ndots {
		return append([]string{name}, withSearch...)
	}
	return append(withSearch, name)
}

// errNoReply means no nameserver answered.
var errNoReply = errors.New("no servers could be reached")

// errNoName means every candidate name was NXDOMAIN or NODATA.
var errNoName = errors.New("name not known")

// query asks the servers of rc in turn, as the C library does, giving up on a server that
// does not reply.
func query(p *proc.Proc, rc resolvConf, name string, qt proc.QType) (proc.Answer, netip.AddrPort, error) {
	servers := rc.servers
	if len(servers) == 0 {
		servers = []netip.AddrPort{netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), 53)}
	}
	for _, s := range servers {
		ctx, cancel := context.WithTimeout(p.Ctx, 5*time.Second)
		a, err := resolve(ctx, p, s, name, qt)
		cancel()
		if err == nil {
			return a, s, nil
		}
	}
	return proc.Answer{}, netip.AddrPort{}, errNoReply
}

// hostAddr is one answer of lookupHost, with the name it was found under.
type hostAddr struct {
	addr    netip.Addr
	name    string
	aliases []string
}

// lookupHost resolves name as getaddrinfo does: an address literal, /etc/hosts, then DNS with
// the search list. families selects 4, 6 or both (0).
func lookupHost(p *proc.Proc, name string, family int) ([]hostAddr, error) {
	if a, err := netip.ParseAddr(name); err == nil {
		return []hostAddr{{addr: a, name: name}}, nil
	}
	want := func(a netip.Addr) bool {
		return family == 0 || (family == 4 && a.Is4()) || (family == 6 && a.Is6())
	}
	var out []hostAddr
	for _, e := range readHosts(p) {
		for _, n := range e.names {
			if strings.EqualFold(n, name) && want(e.addr) {
				out = append(out, hostAddr{addr: e.addr, name: e.names[0], aliases: e.names[1:]})
				break
			}
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	rc := readResolvConf(p)
	replied := false
	for _, cand := range rc.candidates(name) {
		for _, qt := range []proc.QType{proc.TypeA, proc.TypeAAAA} {
			if (qt == proc.TypeA && family == 6) || (qt == proc.TypeAAAA && family == 4) {
				continue
			}
			a, _, err := query(p, rc, cand, qt)
			if err != nil {
				continue
			}
			replied = true
			canon := cand
			if a.CNAME != "" {
				canon = a.CNAME
			}
			for _, addr := range a.Addrs {
				out = append(out, hostAddr{addr: addr, name: canon})
			}
		}
		if len(out) > 0 {
			return out, nil
		}
	}
	if !replied {
		return nil, errNoReply
	}
	return nil, errNoName
}

// resolve sends one question for name to server and reads the gist of its reply.
func resolve(ctx context.Context, p *proc.Proc, server netip.AddrPort, name string, qt proc.QType) (proc.Answer, error) {
	reply, err := p.Sys.Exchange(ctx, server, proc.Query(name, qt))
	if err != nil {
		return proc.Answer{}, err
	}
	return proc.Summarize(reply), nil
}
