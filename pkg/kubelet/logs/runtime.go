package logs

import (
	"context"
	"time"

	internalapi "k8s.io/cri-api/pkg/apis"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// statusRuntime is the CRI runtime service cri-client's log reader needs while it follows
// a log: it answers ContainerStatus from a RunningFunc and refuses everything else.
type statusRuntime struct {
	running RunningFunc
}

var _ internalapi.RuntimeService = statusRuntime{}

func (r statusRuntime) ContainerStatus(ctx context.Context, containerID string, _ bool) (*runtimeapi.ContainerStatusResponse, error) {
	state := runtimeapi.ContainerState_CONTAINER_EXITED
	if r.running(ctx) {
		state = runtimeapi.ContainerState_CONTAINER_RUNNING
	}
	return &runtimeapi.ContainerStatusResponse{Status: &runtimeapi.ContainerStatus{Id: containerID, State: state}}, nil
}

func (statusRuntime) Version(context.Context, string) (*runtimeapi.VersionResponse, error) {
	return nil, errNotARuntime
}

func (statusRuntime) CreateContainer(context.Context, string, *runtimeapi.ContainerConfig, *runtimeapi.PodSandboxConfig) (string, error) {
	return "", errNotARuntime
}

func (statusRuntime) StartContainer(context.Context, string) error       { return errNotARuntime }
func (statusRuntime) StopContainer(context.Context, string, int64) error { return errNotARuntime }
func (statusRuntime) RemoveContainer(context.Context, string) error      { return errNotARuntime }

func (statusRuntime) ListContainers(context.Context, *runtimeapi.ContainerFilter) ([]*runtimeapi.Container, error) {
	return nil, errNotARuntime
}

func (statusRuntime) UpdateContainerResources(context.Context, string, *runtimeapi.ContainerResources) error {
	return errNotARuntime
}

func (statusRuntime) ExecSync(context.Context, string, []string, time.Duration) ([]byte, []byte, error) {
	return nil, nil, errNotARuntime
}

func (statusRuntime) Exec(context.Context, *runtimeapi.ExecRequest) (*runtimeapi.ExecResponse, error) {
	return nil, errNotARuntime
}

func (statusRuntime) Attach(context.Context, *runtimeapi.AttachRequest) (*runtimeapi.AttachResponse, error) {
	return nil, errNotARuntime
}

func (statusRuntime) ReopenContainerLog(context.Context, string) error { return errNotARuntime }

func (statusRuntime) CheckpointContainer(context.Context, *runtimeapi.CheckpointContainerRequest) error {
	return errNotARuntime
}

func (statusRuntime) GetContainerEvents(context.Context, chan *runtimeapi.ContainerEventResponse, func(runtimeapi.RuntimeService_GetContainerEventsClient)) error {
	return errNotARuntime
}

func (statusRuntime) RunPodSandbox(context.Context, *runtimeapi.PodSandboxConfig, string) (string, error) {
	return "", errNotARuntime
}

func (statusRuntime) StopPodSandbox(context.Context, string) error   { return errNotARuntime }
func (statusRuntime) RemovePodSandbox(context.Context, string) error { return errNotARuntime }

func (statusRuntime) PodSandboxStatus(context.Context, string, bool) (*runtimeapi.PodSandboxStatusResponse, error) {
	return nil, errNotARuntime
}

func (statusRuntime) ListPodSandbox(context.Context, *runtimeapi.PodSandboxFilter) ([]*runtimeapi.PodSandbox, error) {
	return nil, errNotARuntime
}

func (statusRuntime) PortForward(context.Context, *runtimeapi.PortForwardRequest) (*runtimeapi.PortForwardResponse, error) {
	return nil, errNotARuntime
}

func (statusRuntime) UpdatePodSandboxResources(context.Context, *runtimeapi.UpdatePodSandboxResourcesRequest) (*runtimeapi.UpdatePodSandboxResourcesResponse, error) {
	return nil, errNotARuntime
}

func (statusRuntime) CheckpointPod(context.Context, *runtimeapi.CheckpointPodRequest) error {
	return errNotARuntime
}

func (statusRuntime) RestorePod(context.Context, *runtimeapi.RestorePodRequest) (*runtimeapi.RestorePodResponse, error) {
	return nil, errNotARuntime
}

func (statusRuntime) ContainerStats(context.Context, string) (*runtimeapi.ContainerStats, error) {
	return nil, errNotARuntime
}

func (statusRuntime) ListContainerStats(context.Context, *runtimeapi.ContainerStatsFilter) ([]*runtimeapi.ContainerStats, error) {
	return nil, errNotARuntime
}

func (statusRuntime) PodSandboxStats(context.Context, string) (*runtimeapi.PodSandboxStats, error) {
	return nil, errNotARuntime
}

func (statusRuntime) ListPodSandboxStats(context.Context, *runtimeapi.PodSandboxStatsFilter) ([]*runtimeapi.PodSandboxStats, error) {
	return nil, errNotARuntime
}

func (statusRuntime) ListMetricDescriptors(context.Context) ([]*runtimeapi.MetricDescriptor, error) {
	return nil, errNotARuntime
}

func (statusRuntime) ListPodSandboxMetrics(context.Context) ([]*runtimeapi.PodSandboxMetrics, error) {
	return nil, errNotARuntime
}

func (statusRuntime) UpdateRuntimeConfig(context.Context, *runtimeapi.RuntimeConfig) error {
	return errNotARuntime
}

func (statusRuntime) Status(context.Context, bool) (*runtimeapi.StatusResponse, error) {
	return nil, errNotARuntime
}

func (statusRuntime) RuntimeConfig(context.Context) (*runtimeapi.RuntimeConfigResponse, error) {
	return nil, errNotARuntime
}

func (statusRuntime) Close(context.Context) error { return errNotARuntime }
