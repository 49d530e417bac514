package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
)

// Command is the fakecluster command line: its flags, bound to Options, and
// where it writes what the user asked for (help, the start-up line).
type Command struct {
	opts  *Options
	flags *pflag.FlagSet
	help  bool
	out   io.Writer
}

// NewCommand returns the command, writing its output to out.
func NewCommand(out io.Writer) *Command {
	c := &Command{opts: NewOptions(), out: out}
	c.flags = pflag.NewFlagSet("fakecluster", pflag.ContinueOnError)
	// Errors come back from Parse and are reported once, by the caller.
	c.flags.SetOutput(io.Discard)
	c.opts.AddFlags(c.flags)
	c.flags.BoolVarP(&c.help, "help", "h", false, "show this help and exit")
	return c
}

// Execute parses args (without the program name), prints help if asked,
// and otherwise runs a cluster until ctx is done. Every mistake on the command
// line is reported before anything starts.
func (c *Command) Execute(ctx context.Context, args []string) error {
	cfg, err := c.parse(args, c.opts.Complete)
	if err != nil {
		return err
	}
	if c.help {
		_, err := io.WriteString(c.out, c.usage())
		return err
	}
	return Run(ctx, cfg, c.out)
}

// parse runs the flags through Options → Complete → Validate. complete is
// Options.Complete, or a stand-in with a fixed environment in tests.
func (c *Command) parse(args []string, complete func()) (CompletedConfig, error) {
	if err := c.flags.Parse(args); err != nil {
		return CompletedConfig{}, usageError{err}
	}
	if c.help {
		return CompletedConfig{}, nil
	}
	if c.flags.NArg() > 0 {
		return CompletedConfig{}, usageError{fmt.Errorf("unexpected argument %q: fakecluster takes only flags", c.flags.Arg(0))}
	}
	complete()
	cfg, err := c.opts.Config()
	if err != nil {
		return CompletedConfig{}, usageError{err}
	}
	return cfg, nil
}

func (c *Command) usage() string {
	return "fakecluster runs a small Kubernetes cluster on this machine, in one process.\n\n" +
		"Usage:\n  fakecluster [flags]\n\nFlags:\n" + c.flags.FlagUsages()
}

// usageError is a mistake on the command line: it lists every problem, one a
// line, and ends with where to find the usage.
type usageError struct{ err error }

func (e usageError) Error() string {
	msg := e.err.Error()
	var agg utilerrors.Aggregate
	if errors.As(e.err, &agg) && len(agg.Errors()) > 1 {
		lines := make([]string, 0, len(agg.Errors()))
		for _, err := range agg.Errors() {
			lines = append(lines, "  "+err.Error())
		}
		msg = "invalid flags:\n" + strings.Join(lines, "\n")
	}
	return msg + "\nRun 'fakecluster --help' for usage."
}

func (e usageError) Unwrap() error { return e.err }
