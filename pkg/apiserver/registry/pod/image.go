package pod

import "github.com/distribution/reference"

// imageTag returns the tag the kubelet would pull for image, the way upstream's
// parsers.ParseImageName decides it: the explicit tag, "latest" when there is
// neither a tag nor a digest, and "" when there is only a digest or the
// reference does not parse. It drives the imagePullPolicy default.
func imageTag(image string) string {
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return ""
	}
	if tagged, ok := named.(reference.Tagged); ok {
		return tagged.Tag()
	}
	if _, ok := named.(reference.Digested); ok {
		return ""
	}
	return "latest"
}
