// Package images is the simulated runtime's image catalog: reference parsing and
// normalisation as containerd does it (nginx -> docker.io/library/nginx:latest), the
// configuration of each known image (entrypoint, command, environment, working directory,
// stop signal), a small filesystem tree per image carrying the programs it really ships, and
// pull failures with containerd's texts.
//
// Image IDs and digests are fake: sha256 of the normalised reference, stable across runs and
// machines, never a real registry's. Any reference under the reserved .invalid domain (RFC
// 2606), e.g. example.invalid/app:1, fails to pull as an unresolvable registry does; any other
// unknown image "exists" and runs until it is stopped.
package images
