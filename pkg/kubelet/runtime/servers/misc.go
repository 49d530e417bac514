package servers

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
)

// PostgresVersion is the version the simulated postgres reports.
const PostgresVersion = "17.2"

func pgTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000 MST") }

// postgresEntrypoint is the image's docker-entrypoint.sh: it refuses to initialise a
// database without a superuser password, as the real script does.
func postgresEntrypoint(p *proc.Proc) int {
	if len(p.Args) > 1 && p.Args[1] == "postgres" {
		if p.Getenv("POSTGRES_PASSWORD") == "" && p.Getenv("POSTGRES_HOST_AUTH_METHOD") != "trust" {
			fmt.Fprint(p.Stderr, `Error: Database is uninitialized and superuser password is not specified.
       You must specify POSTGRES_PASSWORD to a non-empty value for the
       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".

       You may also use "POSTGRES_HOST_AUTH_METHOD=trust" to allow all
       connections without a password. This is *not* recommended.

       See PostgreSQL documentation about "trust":
       https://www.postgresql.org/docs/current/auth-trust.html
`)
			return 1
		}
		fmt.Fprint(p.Stdout, `The files belonging to this database system will be owned by user "postgres".
This user must also own the server process.

The database cluster will be initialized with locale "en_US.utf8".
The default database encoding has accordingly been set to "UTF8".
The default text search configuration will be set to "english".

Data page checksums are disabled.

fixing permissions on existing directory /var/lib/postgresql/data ... ok
creating subdirectories ... ok
selecting dynamic shared memory implementation ... posix
selecting default "max_connections" ... 100
selecting default "shared_buffers" ... 128MB
selecting default time zone ... Etc/UTC
creating configuration files ... ok
running bootstrap script ... ok
performing post-bootstrap initialization ... ok
syncing data to disk ... ok


Success. You can now start the database server using:

    pg_ctl -D /var/lib/postgresql/data -l logfile start

waiting for server to start.... done
server started

/usr/local/bin/docker-entrypoint.sh: ignoring /docker-entrypoint-initdb.d/*

waiting for server to shut down.... done
server stopped

PostgreSQL init process complete; ready for start up.

`)
	}
	return passThrough(p)
}

func postgres(p *proc.Proc) int {
	for _, a := range p.Args[1:] {
		if a == "--version" || a == "-V" {
			fmt.Fprintf(p.Stdout, "postgres (PostgreSQL) %s (Debian %s-1.pgdg120+1)\n", PostgresVersion, PostgresVersion)
			return 0
		}
	}
	sigs := p.Sys.Notify(proc.SIGTERM, proc.SIGINT, proc.SIGQUIT, proc.SIGHUP)
	pid := p.Sys.PID()
	log := func(format string, a ...any) {
		fmt.Fprintf(p.Stderr, "%s [%d] %s\n", pgTime(time.Now()), pid, fmt.Sprintf(format, a...))
	}
	if _, err := listen(p, 5432, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) }); err != nil {
		log(`LOG:  could not bind IPv4 address "0.0.0.0": Address already in use`)
		log("FATAL:  could not create any TCP/IP sockets")
		return 1
	}
	log("LOG:  starting PostgreSQL %s (Debian %s-1.pgdg120+1) on x86_64-pc-linux-gnu, compiled by gcc (Debian 12.2.0-14) 12.2.0, 64-bit", PostgresVersion, PostgresVersion)
	log(`LOG:  listening on IPv4 address "0.0.0.0", port 5432`)
	log(`LOG:  listening on IPv6 address "::", port 5432`)
	log(`LOG:  listening on Unix socket "/var/run/postgresql/.s.PGSQL.5432"`)
	log("LOG:  database system was shut down at %s", pgTime(time.Now()))
	log("LOG:  database system is ready to accept connections")
	for {
		sig, ok := waitSignal(p, sigs, func(proc.Signal) bool { return true })
		if !ok {
			return 137
		}
		switch sig {
		case proc.SIGHUP:
			log("LOG:  received SIGHUP, reloading configuration files")
			continue
		case proc.SIGTERM:
			log("LOG:  received smart shutdown request")
		case proc.SIGINT:
			log("LOG:  received fast shutdown request")
		case proc.SIGQUIT:
			log("LOG:  received immediate shutdown request")
			log("LOG:  database system is shut down")
			return 0
		}
		log("LOG:  aborting any active transactions")
		log("LOG:  background worker \"logical replication launcher\" (PID %d) exited with exit code 1", pid+30)
		log("LOG:  shutting down")
		log("LOG:  checkpoint starting: shutdown immediate")
		log("LOG:  database system is shut down")
		return 0
	}
}

// pause is registry.k8s.io/pause: it sleeps until SIGINT or SIGTERM.
func pause(p *proc.Proc) int {
	if len(p.Args) > 1 && p.Args[1] == "-v" {
		fmt.Fprintln(p.Stdout, "pause.c v3.10")
		return 0
	}
	sigs := p.Sys.Notify(proc.SIGTERM, proc.SIGINT, proc.SIGCHLD)
	sig, ok := waitSignal(p, sigs, func(s proc.Signal) bool { return s != proc.SIGCHLD })
	if !ok {
		return 137
	}
	name := map[proc.Signal]string{proc.SIGTERM: "Terminated", proc.SIGINT: "Interrupt"}[sig]
	fmt.Fprintf(p.Stderr, "Shutting down, got signal: %s\n", name)
	return 0
}

// app stands for the entrypoint of an image the catalog does not know: it runs until it is
// told to stop and then exits 0, as a well-behaved service does.
func app(p *proc.Proc) int {
	sigs := p.Sys.Notify(proc.SIGTERM, proc.SIGINT, proc.SIGQUIT)
	if _, ok := waitSignal(p, sigs, func(proc.Signal) bool { return true }); !ok {
		return 137
	}
	return 0
}

// repl is the interactive prompt of an interpreter image (python3, node) on a terminal; on
// other input it reads to the end and exits 0, as they do with an empty script.
func repl(p *proc.Proc, banner, prompt string, quit func(string) bool) int {
	if !p.TTY {
		_, _ = io.Copy(io.Discard, p.Stdin)
		return 0
	}
	fmt.Fprint(p.Stdout, banner)
	fmt.Fprint(p.Stdout, prompt)
	sc := bufio.NewScanner(p.Stdin)
	for sc.Scan() {
		if quit(strings.TrimSpace(sc.Text())) {
			return 0
		}
		fmt.Fprint(p.Stdout, prompt)
	}
	fmt.Fprintln(p.Stdout)
	return 0
}

func python(p *proc.Proc) int {
	args := p.Args[1:]
	if len(args) > 0 {
		switch args[0] {
		case "-V", "--version":
			fmt.Fprintln(p.Stdout, "Python 3.13.1")
			return 0
		case "-c":
			return 0
		case "-m":
			if len(args) > 1 && args[1] == "http.server" {
				return pythonHTTPServer(p, args[2:])
			}
			if len(args) > 1 {
				fmt.Fprintf(p.Stderr, "%s: No module named %s\n", p.Args[0], args[1])
			}
			return 1
		}
		if !strings.HasPrefix(args[0], "-") {
			if _, err := p.Open(args[0]); err != nil {
				fmt.Fprintf(p.Stderr, "%s: can't open file '%s': [Errno 2] %s\n", p.Args[0], p.Abs(args[0]), proc.Strerror(err))
				return 2
			}
			return 0
		}
	}
	return repl(p, "Python 3.13.1 (main, Dec  4 2024, 18:05:56) [GCC 12.2.0] on linux\nType \"help\", \"copyright\", \"credits\" or \"license\" for more information.\n", ">>> ",
		func(l string) bool { return l == "exit()" || l == "quit()" || l == "exit" || l == "quit" })
}

func node(p *proc.Proc) int {
	args := p.Args[1:]
	if len(args) > 0 {
		switch args[0] {
		case "-v", "--version":
			fmt.Fprintln(p.Stdout, "v22.12.0")
			return 0
		case "-e", "--eval", "-p":
			return 0
		}
		if !strings.HasPrefix(args[0], "-") {
			if _, err := p.Open(args[0]); err != nil {
				fmt.Fprintf(p.Stderr, "node:internal/modules/cjs/loader:1228\n  throw err;\n  ^\n\nError: Cannot find module '%s'\n", p.Abs(args[0]))
				return 1
			}
			return 0
		}
	}
	return repl(p, "Welcome to Node.js v22.12.0.\nType \".help\" for more information.\n", "> ",
		func(l string) bool { return l == ".exit" || l == "process.exit()" })
}

// nodeEntrypoint is node's docker-entrypoint.sh: a first argument that is not a command runs
// under node.
func nodeEntrypoint(p *proc.Proc) int {
	if len(p.Args) > 1 && (strings.HasPrefix(p.Args[1], "-") || strings.HasSuffix(p.Args[1], ".js")) {
		p.Args = append([]string{p.Args[0], "node"}, p.Args[1:]...)
	}
	return passThrough(p)
}

// curlEntrypoint is curlimages/curl's /entrypoint.sh: arguments that look like options or a
// URL go to curl.
func curlEntrypoint(p *proc.Proc) int {
	if len(p.Args) < 2 || strings.HasPrefix(p.Args[1], "-") || strings.Contains(p.Args[1], "://") {
		p.Args = append([]string{p.Args[0], "curl"}, p.Args[1:]...)
	}
	return passThrough(p)
}

func pythonHTTPServer(p *proc.Proc, args []string) int {
	port := 8000
	if len(args) > 0 {
		fmt.Sscanf(args[0], "%d", &port)
	}
	sigs := p.Sys.Notify(proc.SIGINT, proc.SIGTERM)
	root := p.Dir
	if _, err := listen(p, port, func(c net.Conn) { pythonServe(p, c, root) }); err != nil {
		fmt.Fprintf(p.Stderr, "OSError: [Errno 98] Address already in use\n")
		return 1
	}
	fmt.Fprintf(p.Stdout, "Serving HTTP on 0.0.0.0 port %d (http://0.0.0.0:%d/) ...\n", port, port)
	sig, ok := waitSignal(p, sigs, func(proc.Signal) bool { return true })
	if !ok {
		return 137
	}
	if sig == proc.SIGINT {
		fmt.Fprintln(p.Stdout, "\nKeyboard interrupt received, exiting.")
		return 0
	}
	return 143
}
