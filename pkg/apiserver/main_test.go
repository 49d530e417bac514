package apiserver_test

import (
	"testing"

	"github.com/fakecluster/fakecluster/pkg/cluster/clustertest"
)

func TestMain(m *testing.M) { clustertest.Main(m) }
