package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/fakecluster/fakecluster/cmd/fakecluster/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal asks for a clean stop, let a second one
		// end the process at once.
		<-ctx.Done()
		stop()
	}()
	err := app.NewCommand(os.Stdout).Execute(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "fakecluster: %v\n", err)
		os.Exit(1)
	}
}
