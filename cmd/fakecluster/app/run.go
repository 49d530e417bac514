package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"

	"k8s.io/klog/v2"

	"github.com/fakecluster/fakecluster/pkg/apiserver"
	"github.com/fakecluster/fakecluster/pkg/cluster"
)

// Run starts a cluster with cfg, prints one line saying where it serves and
// how to point kubectl at it, and stops it when ctx is done.
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
	_, err = fmt.Fprintf(out, "fakecluster: Kubernetes %s API on https://%s, data in %s; kubeconfig: export KUBECONFIG=%s\n",
		apiserver.KubernetesVersion, c.Addr(), c.DataDir(), c.Kubeconfig())
	if dns := c.DNSAddr(); err == nil && dns.IsValid() {
		_, err = fmt.Fprintf(out, "fakecluster: cluster DNS on %s (udp and tcp): dig @%s -p %d kubernetes.default.svc.%s\n",
			dns, dns.Addr(), dns.Port(), cfg.cluster.ClusterDomain)
	}
	if err == nil {
		<-ctx.Done()
		logger.V(2).Info("Stopping", "reason", context.Cause(ctx))
	}
	return errors.Join(err, c.Stop())
}

// setVerbosity sets klog's -v. klog keeps its settings process-wide; going
// through a private flag set leaves the global flag.CommandLine alone. At 0,
// only errors are logged: the libraries fakecluster is built on log routine
// start-up at info level, which would bury the one line that matters.
func setVerbosity(v int) error {
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	if err := fs.Set("v", strconv.Itoa(v)); err != nil {
		return fmt.Errorf("set log verbosity: %w", err)
	}
	if v == 0 {
		if err := fs.Set("logtostderr", "false"); err != nil {
			return err
		}
		// Errors reach stderr once, through klog's stderrthreshold (ERROR);
		// the per-severity outputs, which would be log files, go nowhere
		// (an ERROR output of stderr printed every error twice).
		for _, severity := range []string{"INFO", "WARNING", "ERROR", "FATAL"} {
			klog.SetOutputBySeverity(severity, io.Discard)
		}
	}
	return nil
}
