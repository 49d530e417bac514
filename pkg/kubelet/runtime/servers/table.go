package servers

import "github.com/fakecluster/fakecluster/pkg/kubelet/runtime/proc"

// Table returns the programs of this package by applet name, a fresh map each call.
func Table() map[string]proc.Func {
	return map[string]proc.Func{
		"nginx":               nginx,
		"nginx-entrypoint":    nginxEntrypoint,
		"httpd":               httpd,
		"httpd-foreground":    httpdForeground,
		"redis-server":        redisServer,
		"redis-cli":           redisCLI,
		"redis-entrypoint":    passThrough,
		"postgres":            postgres,
		"postgres-entrypoint": postgresEntrypoint,
		"pause":               pause,
		"app":                 app,
		"entrypoint":          passThrough,
		"python3":             python,
		"node":                node,
		"node-entrypoint":     nodeEntrypoint,
		"curl-entrypoint":     curlEntrypoint,
		"agnhost":             agnhost,
		"http-echo":           httpEcho,
		"http-echo-0.2":       httpEchoLegacy,
	}
}
