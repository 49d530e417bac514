package proc

import (
	"strconv"
	"strings"
)

// Signal is a Linux signal number.
type Signal int

// The signals programs and the runtime use (Linux x86-64/arm64 numbering).
const (
	SIGHUP   Signal = 1
	SIGINT   Signal = 2
	SIGQUIT  Signal = 3
	SIGKILL  Signal = 9
	SIGUSR1  Signal = 10
	SIGUSR2  Signal = 12
	SIGPIPE  Signal = 13
	SIGALRM  Signal = 14
	SIGTERM  Signal = 15
	SIGCHLD  Signal = 17
	SIGCONT  Signal = 18
	SIGSTOP  Signal = 19
	SIGTSTP  Signal = 20
	SIGURG   Signal = 23
	SIGWINCH Signal = 28
)

// signalNames is indexed by signal number.
func signalNames() [32]string {
	return [32]string{
		1: "HUP", 2: "INT", 3: "QUIT", 4: "ILL", 5: "TRAP", 6: "ABRT", 7: "BUS", 8: "FPE", 9: "KILL",
		10: "USR1", 11: "SEGV", 12: "USR2", 13: "PIPE", 14: "ALRM", 15: "TERM", 16: "STKFLT",
		17: "CHLD", 18: "CONT", 19: "STOP", 20: "TSTP", 21: "TTIN", 22: "TTOU", 23: "URG",
		24: "XCPU", 25: "XFSZ", 26: "VTALRM", 27: "PROF", 28: "WINCH", 29: "POLL", 30: "PWR", 31: "SYS",
	}
}

// Name is the signal's name without the SIG prefix ("TERM"), or its number.
func (s Signal) Name() string {
	if names := signalNames(); s > 0 && int(s) < len(names) {
		return names[s]
	}
	return strconv.Itoa(int(s))
}

func (s Signal) String() string { return "SIG" + s.Name() }

// MaxSignal is the highest signal number Parse accepts.
const MaxSignal = 64

// ParseSignal reads "TERM", "SIGTERM", "term" or "15".
func ParseSignal(s string) (Signal, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		return Signal(n), n >= 0 && n <= MaxSignal
	}
	u := strings.TrimPrefix(strings.ToUpper(s), "SIG")
	for i, n := range signalNames() {
		if n != "" && n == u {
			return Signal(i), true
		}
	}
	return 0, false
}

// Terminates reports whether the default action of s ends the process (it is not ignored,
// and stopping is not simulated).
func (s Signal) Terminates() bool {
	switch s {
	case SIGCHLD, SIGCONT, SIGURG, SIGWINCH, SIGSTOP, SIGTSTP, 21, 22, 0:
		return false
	}
	return true
}

// Killed is the cancellation cause (context.Cause) of a process' context when a signal
// ended it; a program that cancels a child with Killed{SIGINT} makes it exit 130, as ^C does.
type Killed struct{ Signal Signal }

func (k Killed) Error() string { return "killed by " + k.Signal.String() }
