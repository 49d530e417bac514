// Package shell is the simulated runtime's sh, ash, dash and bash: mvdan.cc/sh's interpreter
// wired to the container (its filesystem through open, stat, readdir and access handlers,
// its programs through an exec handler) and made to speak each shell's dialect of error
// messages, `set` listing, prompt and built-ins that the interpreter leaves to the host
// (kill, umask, type, command -v, exec, signal traps).
//
// It also runs the interactive loop behind `kubectl exec -it pod -- sh`: a prompt, one line
// at a time from the terminal, ^C interrupting the command in the foreground.
//
// The interpreter never touches the host: process substitution, which would create a FIFO
// in the host's temporary directory, is refused, and the interpreter's own temporary
// directory is set to a path no container path can equal.
package shell
