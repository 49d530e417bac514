package servers

import (
	"bufio"
	"strings"
	"testing"
)

func TestRedisCommands(t *testing.T) {
	t.Parallel()
	st := &redisStore{data: map[string]string{}}
	tests := []struct {
		args []string
		want string
		quit bool
	}{
		{[]string{"PING"}, "+PONG\r\n", false},
		{[]string{"ping", "hi"}, "$2\r\nhi\r\n", false},
		{[]string{"SET", "k", "v"}, "+OK\r\n", false},
		{[]string{"GET", "k"}, "$1\r\nv\r\n", false},
		{[]string{"GET", "nope"}, "$-1\r\n", false},
		{[]string{"INCR", "n"}, ":1\r\n", false},
		{[]string{"INCR", "k"}, "-ERR value is not an integer or out of range\r\n", false},
		{[]string{"EXISTS", "k", "n", "x"}, ":2\r\n", false},
		{[]string{"KEYS", "*"}, "*2\r\n$1\r\nk\r\n$1\r\nn\r\n", false},
		{[]string{"DEL", "k"}, ":1\r\n", false},
		{[]string{"GET"}, "-ERR wrong number of arguments for 'get' command\r\n", false},
		{[]string{"FOO", "a"}, "-ERR unknown command 'FOO', with args beginning with: 'a' \r\n", false},
		{[]string{"QUIT"}, "+OK\r\n", true},
	}
	for _, tt := range tests {
		got, quit := redisCommand(st, tt.args)
		if got != tt.want || quit != tt.quit {
			t.Errorf("%q = %q %v, want %q %v", tt.args, got, quit, tt.want, tt.quit)
		}
	}
}

func TestReadRESP(t *testing.T) {
	t.Parallel()
	br := bufio.NewReader(strings.NewReader("*2\r\n$4\r\nECHO\r\n$3\r\na b\r\nPING x\r\n"))
	if args, err := readRESP(br); err != nil || strings.Join(args, "|") != "ECHO|a b" {
		t.Errorf("array: %q %v", args, err)
	}
	if args, err := readRESP(br); err != nil || strings.Join(args, "|") != "PING|x" {
		t.Errorf("inline: %q %v", args, err)
	}
}

func FuzzReadRESP(f *testing.F) {
	for _, s := range []string{"*1\r\n$4\r\nPING\r\n", "*-1\r\n", "*2\r\n$999999999\r\n", "PING\r\n", "*3\r\n$1\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		br := bufio.NewReader(strings.NewReader(in))
		for range 8 {
			args, err := readRESP(br)
			if err != nil {
				return
			}
			redisCommand(&redisStore{data: map[string]string{}}, append(args, "x"))
		}
	})
}
