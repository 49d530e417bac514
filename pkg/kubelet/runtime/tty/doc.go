// Package tty is the terminal line discipline of the simulated runtime: what the kernel does
// between a `kubectl exec -t` client and a program in canonical mode. It echoes typed bytes,
// edits the line (erase, kill, word erase), delivers whole lines to the program, turns ^D into
// end-of-file and ^C into an interrupt, and adds a carriage return before each newline the
// program writes (onlcr).
//
// It is not a terminal emulator: it keeps no screen, ignores window sizes and swallows escape
// sequences (arrow keys) rather than interpreting them.
package tty
