// Package commands holds the simulated runtime's everyday programs as Go functions: the
// coreutils/busybox tools people type into pods (cat, ls, env, grep, tar, ...), the name and
// network tools (hostname, getent, nslookup, dig, ip, wget, curl, nc, ping) and process
// tools (ps, kill, sleep), each printing what the real tool prints for the image's userland.
//
// It is not the shell (package shell) nor the long-running image entrypoints (package
// servers), and it does not decide which program an image carries: the image catalog names
// programs, Table maps the names to functions.
package commands
