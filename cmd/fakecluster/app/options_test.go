package app

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"

	"github.com/fakecluster/fakecluster/pkg/cluster"
)

func TestParseAndValidate(t *testing.T) {
	t.Parallel()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	home := map[string]string{"HOME": "/home/u"}

	tests := []struct {
		name          string
		args          []string
		env           map[string]string
		wantCluster   cluster.Options
		wantVerbosity int
		// wantErrs are the problems Validate reports, in order.
		wantErrs []string
		// wantErr is the whole message the user sees.
		wantErr string
	}{{
		name:        "defaults under HOME",
		env:         home,
		wantCluster: cluster.Options{DataDir: "/home/u/.local/state/fakecluster", Kubeconfig: "/home/u/.local/state/fakecluster/kubeconfig", BindAddress: "127.0.0.1", SecurePort: 6443},
	}, {
		name:        "defaults under XDG_STATE_HOME",
		env:         map[string]string{"HOME": "/home/u", "XDG_STATE_HOME": "/state"},
		wantCluster: cluster.Options{DataDir: "/state/fakecluster", Kubeconfig: "/state/fakecluster/kubeconfig", BindAddress: "127.0.0.1", SecurePort: 6443},
	}, {
		name:        "relative XDG_STATE_HOME is ignored, as the XDG spec says",
		env:         map[string]string{"HOME": "/home/u", "XDG_STATE_HOME": "state"},
		wantCluster: cluster.Options{DataDir: "/home/u/.local/state/fakecluster", Kubeconfig: "/home/u/.local/state/fakecluster/kubeconfig", BindAddress: "127.0.0.1", SecurePort: 6443},
	}, {
		name:          "every flag set",
		args:          []string{"--data-dir", "/data", "--kubeconfig", "/etc/kube/admin.conf", "--bind-address", "::1", "--secure-port", "0", "-v", "4"},
		wantCluster:   cluster.Options{DataDir: "/data", Kubeconfig: "/etc/kube/admin.conf", BindAddress: "::1", SecurePort: 0},
		wantVerbosity: 4,
	}, {
		name:          "equals forms",
		args:          []string{"--data-dir=/data", "--kubeconfig=/kc", "--bind-address=0.0.0.0", "--secure-port=65535", "--v=2"},
		wantCluster:   cluster.Options{DataDir: "/data", Kubeconfig: "/kc", BindAddress: "0.0.0.0", SecurePort: 65535},
		wantVerbosity: 2,
	}, {
		name:          "relative data dir is made absolute",
		args:          []string{"--data-dir", "state", "-v=1"},
		wantCluster:   cluster.Options{DataDir: filepath.Join(wd, "state"), Kubeconfig: filepath.Join(wd, "state", "kubeconfig"), BindAddress: "127.0.0.1", SecurePort: 6443},
		wantVerbosity: 1,
	}, {
		name:        "kubeconfig follows the data dir",
		args:        []string{"--data-dir", "/data"},
		env:         home,
		wantCluster: cluster.Options{DataDir: "/data", Kubeconfig: "/data/kubeconfig", BindAddress: "127.0.0.1", SecurePort: 6443},
	}, {
		name:        "kubeconfig outside the data dir",
		args:        []string{"--kubeconfig", "/home/u/.kube/config"},
		env:         home,
		wantCluster: cluster.Options{DataDir: "/home/u/.local/state/fakecluster", Kubeconfig: "/home/u/.kube/config", BindAddress: "127.0.0.1", SecurePort: 6443},
	}, {
		name:        "relative kubeconfig is made absolute",
		args:        []string{"--data-dir", "/data", "--kubeconfig", "kc"},
		wantCluster: cluster.Options{DataDir: "/data", Kubeconfig: filepath.Join(wd, "kc"), BindAddress: "127.0.0.1", SecurePort: 6443},
	}, {
		name:        "empty kubeconfig means the default",
		args:        []string{"--data-dir", "/data", "--kubeconfig="},
		wantCluster: cluster.Options{DataDir: "/data", Kubeconfig: "/data/kubeconfig", BindAddress: "127.0.0.1", SecurePort: 6443},
	}, {
		name:        "kubeconfig path is cleaned",
		args:        []string{"--data-dir", "/data", "--kubeconfig", "/etc//kube/../kube/config"},
		wantCluster: cluster.Options{DataDir: "/data", Kubeconfig: "/etc/kube/config", BindAddress: "127.0.0.1", SecurePort: 6443},
	}, {
		name:     "kubeconfig given but no data dir and no default",
		args:     []string{"--kubeconfig", "/kc"},
		wantErrs: []string{"missing --data-dir: there is no default when neither $XDG_STATE_HOME nor $HOME is set"},
	}, {
		name:     "no data dir and no default",
		wantErrs: []string{"missing --data-dir: there is no default when neither $XDG_STATE_HOME nor $HOME is set"},
	}, {
		name:     "data dir is a file",
		args:     []string{"--data-dir", file},
		wantErrs: []string{`invalid value "` + file + `" for --data-dir: must be a directory, or a path where one can be created; this is a file`},
	}, {
		name:     "bind address is a name",
		args:     []string{"--bind-address", "abc"},
		env:      home,
		wantErrs: []string{`invalid value "abc" for --bind-address: must be an IP address such as 127.0.0.1 or ::1`},
		wantErr:  "invalid value \"abc\" for --bind-address: must be an IP address such as 127.0.0.1 or ::1\nRun 'fakecluster --help' for usage.",
	}, {
		name:     "bind address is empty",
		args:     []string{"--bind-address="},
		env:      home,
		wantErrs: []string{`invalid value "" for --bind-address: must be an IP address such as 127.0.0.1 or ::1`},
	}, {
		name:     "bind address in brackets",
		args:     []string{"--bind-address", "[::1]"},
		env:      home,
		wantErrs: []string{`invalid value "[::1]" for --bind-address: must be an IP address such as 127.0.0.1 or ::1`},
	}, {
		name:     "port too large",
		args:     []string{"--secure-port", "65536"},
		env:      home,
		wantErrs: []string{`invalid value "65536" for --secure-port: must be a port number from 0 to 65535 (0 picks any free port)`},
	}, {
		name:     "port negative",
		args:     []string{"--secure-port=-1"},
		env:      home,
		wantErrs: []string{`invalid value "-1" for --secure-port: must be a port number from 0 to 65535 (0 picks any free port)`},
	}, {
		name:     "port not a number",
		args:     []string{"--secure-port", "https"},
		env:      home,
		wantErrs: []string{`invalid value "https" for --secure-port: must be a port number from 0 to 65535 (0 picks any free port)`},
	}, {
		name:        "port not a number, then a good one",
		args:        []string{"--secure-port", "https", "--secure-port", "8443"},
		env:         home,
		wantCluster: cluster.Options{DataDir: "/home/u/.local/state/fakecluster", Kubeconfig: "/home/u/.local/state/fakecluster/kubeconfig", BindAddress: "127.0.0.1", SecurePort: 8443},
	}, {
		name:     "verbosity negative",
		args:     []string{"-v", "-1"},
		env:      home,
		wantErrs: []string{`invalid value "-1" for -v: must be a whole number, 0 or more`},
	}, {
		name:     "verbosity not a number",
		args:     []string{"-v=high"},
		env:      home,
		wantErrs: []string{`invalid value "high" for -v: must be a whole number, 0 or more`},
	}, {
		name: "every problem at once",
		args: []string{"--data-dir", file, "--bind-address", "localhost", "--secure-port", "70000", "-v", "x"},
		wantErrs: []string{
			`invalid value "` + file + `" for --data-dir: must be a directory, or a path where one can be created; this is a file`,
			`invalid value "localhost" for --bind-address: must be an IP address such as 127.0.0.1 or ::1`,
			`invalid value "70000" for --secure-port: must be a port number from 0 to 65535 (0 picks any free port)`,
			`invalid value "x" for -v: must be a whole number, 0 or more`,
		},
	}, {
		name: "two problems, as the user sees them",
		args: []string{"--bind-address", "abc", "--secure-port", "abc"},
		env:  home,
		wantErrs: []string{
			`invalid value "abc" for --bind-address: must be an IP address such as 127.0.0.1 or ::1`,
			`invalid value "abc" for --secure-port: must be a port number from 0 to 65535 (0 picks any free port)`,
		},
		wantErr: "invalid flags:\n" +
			"  invalid value \"abc\" for --bind-address: must be an IP address such as 127.0.0.1 or ::1\n" +
			"  invalid value \"abc\" for --secure-port: must be a port number from 0 to 65535 (0 picks any free port)\n" +
			"Run 'fakecluster --help' for usage.",
	}, {
		name:    "unknown flag",
		args:    []string{"--nodes", "3"},
		env:     home,
		wantErr: "unknown flag: --nodes\nRun 'fakecluster --help' for usage.",
	}, {
		name:    "unknown shorthand",
		args:    []string{"-x"},
		env:     home,
		wantErr: "unknown shorthand flag: 'x' in -x\nRun 'fakecluster --help' for usage.",
	}, {
		name:    "flag without its value",
		args:    []string{"--data-dir"},
		env:     home,
		wantErr: "flag needs an argument: --data-dir\nRun 'fakecluster --help' for usage.",
	}, {
		name:    "kubeconfig flag without its value",
		args:    []string{"--kubeconfig"},
		env:     home,
		wantErr: "flag needs an argument: --kubeconfig\nRun 'fakecluster --help' for usage.",
	}, {
		name:    "positional argument",
		args:    []string{"start"},
		env:     home,
		wantErr: "unexpected argument \"start\": fakecluster takes only flags\nRun 'fakecluster --help' for usage.",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := NewCommand(io.Discard)
			cfg, err := c.parse(tt.args, func() { c.opts.complete(func(k string) string { return tt.env[k] }) })

			if tt.wantErrs == nil && tt.wantErr == "" {
				if err != nil {
					t.Fatalf("parse(%q) failed: %v", tt.args, err)
				}
				if diff := cmp.Diff(tt.wantCluster, cfg.cluster); diff != "" {
					t.Errorf("cluster options (-want +got):\n%s", diff)
				}
				if cfg.verbosity != tt.wantVerbosity {
					t.Errorf("verbosity = %d, want %d", cfg.verbosity, tt.wantVerbosity)
				}
				return
			}
			if err == nil {
				t.Fatalf("parse(%q) succeeded, want an error", tt.args)
			}
			if cfg.completedConfig != nil {
				t.Errorf("parse(%q) returned a config along with its error", tt.args)
			}
			if tt.wantErrs != nil {
				var agg utilerrors.Aggregate
				if !errors.As(err, &agg) {
					t.Fatalf("error %q is not an aggregate", err)
				}
				var got []string
				for _, e := range agg.Errors() {
					got = append(got, e.Error())
				}
				if diff := cmp.Diff(tt.wantErrs, got); diff != "" {
					t.Errorf("problems reported (-want +got):\n%s", diff)
				}
			}
			if tt.wantErr != "" && err.Error() != tt.wantErr {
				t.Errorf("error =\n%s\nwant\n%s", err, tt.wantErr)
			}
			if !strings.HasSuffix(err.Error(), "\nRun 'fakecluster --help' for usage.") {
				t.Errorf("error %q does not end with the usage hint", err)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--help"}, {"-h"}, {"--bind-address", "abc", "--help"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			var out strings.Builder
			if err := NewCommand(&out).Execute(t.Context(), args); err != nil {
				t.Fatalf("Execute(%q) = %v, want nil", args, err)
			}
			for _, want := range []string{"Usage:\n  fakecluster [flags]", "--data-dir", "--kubeconfig", "(default <data-dir>/kubeconfig)", "--bind-address", "--secure-port int", "(default 6443)", "-v, --v int", "-h, --help"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("help does not mention %q:\n%s", want, out.String())
				}
			}
		})
	}
}

func TestRunRefusesUncheckedConfig(t *testing.T) {
	t.Parallel()
	if err := Run(t.Context(), CompletedConfig{}, io.Discard); err == nil {
		t.Error("Run with a zero CompletedConfig succeeded, want an error")
	}
}

func TestDefaultDataDir(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{name: "XDG_STATE_HOME wins", env: map[string]string{"XDG_STATE_HOME": "/x", "HOME": "/h"}, want: "/x/fakecluster"},
		{name: "HOME", env: map[string]string{"HOME": "/h"}, want: "/h/.local/state/fakecluster"},
		{name: "relative XDG_STATE_HOME", env: map[string]string{"XDG_STATE_HOME": "x", "HOME": "/h"}, want: "/h/.local/state/fakecluster"},
		{name: "nothing", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := defaultDataDir(func(k string) string { return tt.env[k] }); got != tt.want {
				t.Errorf("defaultDataDir() = %q, want %q", got, tt.want)
			}
		})
	}
}
