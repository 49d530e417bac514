// Package proc is the contract between the simulated runtime and the programs it runs: the
// Proc a program sees (arguments, environment, working directory, standard streams), the Sys
// behind it (filesystem, signals, child processes, the pod's network), signal numbers and the
// libc error texts programs print.
//
// It holds no programs and no process table; the runtime implements Sys, the commands,
// servers and shell packages implement programs as plain Go functions (Func).
package proc
