package cluster

import (
	"bytes"
	"syscall"
)

// kernelVersion is this machine's kernel release, which the fake nodes
// report as theirs (status.nodeInfo.kernelVersion), as kind's nodes share
// their host's kernel.
func kernelVersion() string {
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		return ""
	}
	b := make([]byte, 0, len(u.Release))
	for _, c := range u.Release {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(bytes.TrimSpace(b))
}
