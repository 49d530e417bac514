package logs

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/types"
)

// ErrUnsafeName is returned by the path helpers when a name would not stay one folder of
// the layout (empty, ".", "..", or holding a path separator or NUL): the API server
// validates names, but nothing a request says may write outside the sandbox, so they are
// checked again here.
var ErrUnsafeName = errors.New("unsafe name in a log path")

// PodDir is the folder of a pod's container logs on a node,
// <sandbox>/<node>/logs/pods/<namespace>_<name>_<uid>, as the kubelet's
// /var/log/pods/<namespace>_<name>_<uid>. The kubelet removes it with the pod.
func PodDir(sandbox, node, namespace, name string, uid types.UID) (string, error) {
	for _, e := range []struct{ what, v string }{
		{"node", node}, {"namespace", namespace}, {"pod name", name}, {"pod UID", string(uid)},
	} {
		if err := checkName(e.what, e.v); err != nil {
			return "", err
		}
	}
	return filepath.Join(sandbox, node, "logs", "pods", namespace+"_"+name+"_"+string(uid)), nil
}

// ContainerPath is the log file of one instance of a container:
// <pod dir>/<container>/<restart>.log, restart counting the container's earlier
// instances from 0, as the kubelet names them.
func ContainerPath(sandbox, node, namespace, name string, uid types.UID, container string, restart int) (string, error) {
	dir, err := PodDir(sandbox, node, namespace, name, uid)
	if err != nil {
		return "", err
	}
	if err := checkName("container", container); err != nil {
		return "", err
	}
	if restart < 0 {
		return "", fmt.Errorf("negative restart count %d for container %q", restart, container)
	}
	return filepath.Join(dir, container, strconv.Itoa(restart)+".log"), nil
}

func checkName(what, v string) error {
	if v == "" || v == "." || v == ".." || strings.ContainsAny(v, "/\\\x00") {
		return fmt.Errorf("%w: %s %q", ErrUnsafeName, what, v)
	}
	return nil
}
