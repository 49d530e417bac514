package servers

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"
)

// RedisVersion is the version the simulated redis-server reports.
const RedisVersion = "7.4.2"

func redisTime(t time.Time) string { return t.UTC().Format("02 Jan 2006 15:04:05.000") }

// redisStore is one server's keyspace.
type redisStore struct {
	mu   sync.Mutex
	data map[string]string
}

func redisServer(p *proc.Proc) int {
	port := 6379
	for i, a := range p.Args[1:] {
		switch {
		case a == "--version" || a == "-v":
			fmt.Fprintf(p.Stdout, "Redis server v=%s sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=0000000000000000\n", RedisVersion)
			return 0
		case a == "--port" && i+2 < len(p.Args):
			if n, err := strconv.Atoi(p.Args[i+2]); err == nil {
				port = n
			}
		}
	}
	sigs := p.Sys.Notify(proc.SIGTERM, proc.SIGINT)
	pid := p.Sys.PID()
	log := func(role, level, format string, a ...any) {
		fmt.Fprintf(p.Stdout, "%d:%s %s %s %s\n", pid, role, redisTime(time.Now()), level, fmt.Sprintf(format, a...))
	}
	log("C", "#", "WARNING Memory overcommit must be enabled! Without it, a background save or replication may fail under low memory condition. Being disabled, it can also cause failures without low memory condition, see https://github.com/jemalloc/jemalloc/issues/1328. To fix this issue add 'vm.overcommit_memory = 1' to /etc/sysctl.conf and then reboot or run the command 'sysctl vm.overcommit_memory=1' for this to take effect.")
	log("C", "*", "oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo")
	log("C", "*", "Redis version=%s, bits=64, commit=00000000, modified=0, pid=%d, just started", RedisVersion, pid)
	log("C", "#", "Warning: no config file specified, using the default config. In order to specify a config file use redis-server /path/to/redis.conf")
	log("M", "*", "monotonic clock: POSIX clock_gettime")
	store := &redisStore{data: map[string]string{}}
	if _, err := listen(p, port, func(c net.Conn) { redisServe(c, store) }); err != nil {
		log("M", "#", "Warning: Could not create server TCP listening socket *:%d: bind: Address already in use", port)
		log("M", "#", "Failed listening on port %d (tcp), aborting.", port)
		return 1
	}
	log("M", "*", "Running mode=standalone, port=%d.", port)
	log("M", "*", "Server initialized")
	log("M", "*", "Ready to accept connections tcp")
	sig, ok := waitSignal(p, sigs, func(proc.Signal) bool { return true })
	if !ok {
		return 137
	}
	fmt.Fprintf(p.Stdout, "%d:signal-handler (%d) Received %s scheduling shutdown...\n", pid, time.Now().Unix(), sig)
	log("M", "*", "User requested shutdown...")
	log("M", "*", "Saving the final RDB snapshot before exiting.")
	log("M", "*", "DB saved on disk")
	log("M", "#", "Redis is now ready to exit, bye bye...")
	return 0
}

// readRESP reads one command: a RESP array of bulk strings, or an inline command line.
func readRESP(br *bufio.Reader) ([]string, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimRight(line, "\r\n")
	if !strings.HasPrefix(line, "*") {
		return strings.Fields(line), nil
	}
	n, err := strconv.Atoi(line[1:])
	if err != nil || n < 0 || n > 1<<16 {
		//lint:ignore ST1005 redis-server's own reply text.
		return nil, fmt.Errorf("Protocol error: invalid multibulk length")
	}
	args := make([]string, 0, n)
	for range n {
		h, err := br.ReadString('\n')
		if err != nil {
			return nil, err
		}
		h = strings.TrimRight(h, "\r\n")
		if !strings.HasPrefix(h, "$") {
			//lint:ignore ST1005 redis-server's own reply text.
			return nil, fmt.Errorf("Protocol error: expected '$', got '%s'", h)
		}
		size, err := strconv.Atoi(h[1:])
		if err != nil || size < 0 || size > 1<<20 {
			//lint:ignore ST1005 redis-server's own reply text.
			return nil, fmt.Errorf("Protocol error: invalid bulk length")
		}
		buf := make([]byte, size+2)
		if _, err := io.ReadFull(br, buf); err != nil {
			return nil, err
		}
		args = append(args, string(buf[:size]))
	}
	return args, nil
}

func bulk(s string) string { return "$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n" }

func redisServe(c net.Conn, st *redisStore) {
	br := bufio.NewReader(c)
	for {
		args, err := readRESP(br)
		if err != nil {
			if err != io.EOF && !strings.Contains(err.Error(), "closed") {
				fmt.Fprintf(c, "-ERR %s\r\n", err)
			}
			return
		}
		if len(args) == 0 {
			continue
		}
		out, quit := redisCommand(st, args)
		if _, err := io.WriteString(c, out); err != nil || quit {
			return
		}
	}
}

func redisCommand(st *redisStore, args []string) (string, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	cmd := strings.ToUpper(args[0])
	wrong := "-ERR wrong number of arguments for '" + strings.ToLower(args[0]) + "' command\r\n"
	switch cmd {
	case "PING":
		if len(args) > 1 {
			return bulk(args[1]), false
		}
		return "+PONG\r\n", false
	case "ECHO":
		if len(args) != 2 {
			return wrong, false
		}
		return bulk(args[1]), false
	case "QUIT":
		return "+OK\r\n", true
	case "SELECT", "CLIENT", "AUTH":
		return "+OK\r\n", false
	case "SET":
		if len(args) < 3 {
			return wrong, false
		}
		st.data[args[1]] = args[2]
		return "+OK\r\n", false
	case "GET":
		if len(args) != 2 {
			return wrong, false
		}
		if v, ok := st.data[args[1]]; ok {
			return bulk(v), false
		}
		return "$-1\r\n", false
	case "DEL", "EXISTS":
		if len(args) < 2 {
			return wrong, false
		}
		n := 0
		for _, k := range args[1:] {
			if _, ok := st.data[k]; ok {
				n++
				if cmd == "DEL" {
					delete(st.data, k)
				}
			}
		}
		return ":" + strconv.Itoa(n) + "\r\n", false
	case "INCR", "DECR":
		if len(args) != 2 {
			return wrong, false
		}
		cur := st.data[args[1]]
		if cur == "" {
			cur = "0"
		}
		v, err := strconv.ParseInt(cur, 10, 64)
		if err != nil {
			return "-ERR value is not an integer or out of range\r\n", false
		}
		if cmd == "INCR" {
			v++
		} else {
			v--
		}
		st.data[args[1]] = strconv.FormatInt(v, 10)
		return ":" + strconv.FormatInt(v, 10) + "\r\n", false
	case "KEYS":
		if len(args) != 2 {
			return wrong, false
		}
		var keys []string
		for k := range st.data {
			if ok, _ := path.Match(args[1], k); ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		var b strings.Builder
		b.WriteString("*" + strconv.Itoa(len(keys)) + "\r\n")
		for _, k := range keys {
			b.WriteString(bulk(k))
		}
		return b.String(), false
	case "DBSIZE":
		return ":" + strconv.Itoa(len(st.data)) + "\r\n", false
	case "FLUSHALL", "FLUSHDB":
		clear(st.data)
		return "+OK\r\n", false
	case "INFO":
		return bulk("# Server\r\nredis_version:" + RedisVersion + "\r\nredis_mode:standalone\r\ntcp_port:6379\r\n"), false
	case "COMMAND":
		return "*0\r\n", false
	}
	var b strings.Builder
	fmt.Fprintf(&b, "-ERR unknown command '%s', with args beginning with: ", args[0])
	for _, a := range args[1:] {
		fmt.Fprintf(&b, "'%s' ", a)
	}
	b.WriteString("\r\n")
	return b.String(), false
}

// redisCLI is redis-cli: a command from the arguments, lines of stdin, or a prompt on a TTY.
func redisCLI(p *proc.Proc) int {
	host, port := "127.0.0.1", 6379
	args := p.Args[1:]
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-h":
			if len(args) > 1 {
				host, args = args[1], args[1:]
			}
		case "-p":
			if len(args) > 1 {
				port, _ = strconv.Atoi(args[1])
				args = args[1:]
			}
		case "--version", "-v":
			fmt.Fprintf(p.Stdout, "redis-cli %s\n", RedisVersion)
			return 0
		}
		args = args[1:]
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		if host == "localhost" {
			addr = netip.MustParseAddr("127.0.0.1")
		} else {
			fmt.Fprintf(p.Stderr, "Could not connect to Redis at %s:%d: Name does not resolve\n", host, port)
			return 1
		}
	}
	ctx, cancel := context.WithTimeout(p.Ctx, 5*time.Second)
	c, err := p.Sys.Dial(ctx, netip.AddrPortFrom(addr, uint16(port)))
	cancel()
	if err != nil {
		fmt.Fprintf(p.Stdout, "Could not connect to Redis at %s:%d: %s\n", host, port, proc.Strerror(err))
		return 1
	}
	defer c.Close()
	br := bufio.NewReader(c)
	do := func(words []string) bool {
		var b strings.Builder
		b.WriteString("*" + strconv.Itoa(len(words)) + "\r\n")
		for _, w := range words {
			b.WriteString(bulk(w))
		}
		if _, err := io.WriteString(c, b.String()); err != nil {
			return false
		}
		s, err := readReply(br, p.TTY)
		if err != nil {
			return false
		}
		fmt.Fprintln(p.Stdout, s)
		return true
	}
	if len(args) > 0 {
		if !do(args) {
			return 1
		}
		return 0
	}
	prompt := fmt.Sprintf("%s:%d> ", host, port)
	if p.TTY {
		fmt.Fprint(p.Stdout, prompt)
	}
	sc := bufio.NewScanner(p.Stdin)
	for sc.Scan() {
		words := strings.Fields(sc.Text())
		if len(words) > 0 {
			if strings.EqualFold(words[0], "exit") || strings.EqualFold(words[0], "quit") {
				return 0
			}
			if !do(words) {
				return 1
			}
		}
		if p.TTY {
			fmt.Fprint(p.Stdout, prompt)
		}
	}
	return 0
}

func readReply(br *bufio.Reader, tty bool) (string, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", nil
	}
	switch line[0] {
	case '+':
		return line[1:], nil
	case '-':
		if tty {
			return "(error) " + line[1:], nil
		}
		return line[1:], nil
	case ':':
		if tty {
			return "(integer) " + line[1:], nil
		}
		return line[1:], nil
	case '$':
		n, _ := strconv.Atoi(line[1:])
		if n < 0 {
			if tty {
				return "(nil)", nil
			}
			return "", nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(br, buf); err != nil {
			return "", err
		}
		if tty {
			return strconv.Quote(string(buf[:n])), nil
		}
		return string(buf[:n]), nil
	case '*':
		n, _ := strconv.Atoi(line[1:])
		if n <= 0 {
			if tty {
				return "(empty array)", nil
			}
			return "", nil
		}
		var parts []string
		for i := range n {
			s, err := readReply(br, tty)
			if err != nil {
				return "", err
			}
			if tty {
				s = strconv.Itoa(i+1) + ") " + s
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, "\n"), nil
	}
	return line, nil
}
