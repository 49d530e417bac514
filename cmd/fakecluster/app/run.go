package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"

	"k8s.io/klog/v2"

	"github.com/fakecluster/fakecluster/pkg/cluster"
)

// Run starts a cluster with cfg, prints one line saying where it serves and
// where its data is, and stops it when ctx is done.
func Run(ctx context.Context, cfg CompletedConfig, out io.Writer) error {
	if cfg.completedConfig == nil {
		return errors.New("run: config did not come from Options.Config")
	}
	if err := setVerbosity(cfg.verbosity); err != nil {
		return err
	}
	c, err := cluster.Start(ctx, cfg.cluster)
	if err != nil {
		return err
	}
	logger := klog.FromContext(ctx)
	_, err = fmt.Fprintf(out, "fakecluster: serving on https://%s (data in %s); the Kubernetes API arrives in a later release\n",
		c.Addr(), c.DataDir())
	if err == nil {
		<-ctx.Done()
		logger.V(2).Info("Stopping", "reason", context.Cause(ctx))
	}
	return errors.Join(err, c.Stop())
}

// setVerbosity sets klog's -v. klog keeps its settings process-wide; going
// through a private flag set leaves the global flag.CommandLine alone.
func setVerbosity(v int) error {
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	if err := fs.Set("v", strconv.Itoa(v)); err != nil {
		return fmt.Errorf("set log verbosity: %w", err)
	}
	return nil
}
