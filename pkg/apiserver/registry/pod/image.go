package pod

import (
	"regexp"
	"strings"
)

// The grammar of an image reference, as github.com/distribution/reference
// parses it: [domain[:port]/]path[:tag][@digest].
var (
	imageRefRegexp = func() *regexp.Regexp {
		const (
			domainComponent = `(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])`
			domainName      = domainComponent + `(?:\.` + domainComponent + `)*`
			ipv6            = `\[(?:[a-fA-F0-9:]+)\]`
			domain          = `(?:` + domainName + `|` + ipv6 + `)(?::[0-9]+)?`
			pathComponent   = `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
			name            = `(?:` + domain + `/)?` + pathComponent + `(?:/` + pathComponent + `)*`
			tag             = `[\w][\w.-]{0,127}`
			digest          = `[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}`
		)
		return regexp.MustCompile(`^(` + name + `)(?::(` + tag + `))?(?:@(` + digest + `))?$`)
	}()
	// A bare 64-hex-digit string is an image ID, not a repository name.
	imageIDRegexp = regexp.MustCompile(`^[a-f0-9]{64}$`)
	// The digest algorithms go-digest can verify, and their encoded lengths.
	digestHexRegexp = map[string]*regexp.Regexp{
		"sha256": regexp.MustCompile(`^[a-f0-9]{64}$`),
		"sha384": regexp.MustCompile(`^[a-f0-9]{96}$`),
		"sha512": regexp.MustCompile(`^[a-f0-9]{128}$`),
	}
)

// imageTag returns the tag the kubelet would pull for image, the way upstream's
// parsers.ParseImageName decides it: the explicit tag, "latest" when there is
// neither a tag nor a digest, and "" when there is only a digest or the
// reference does not parse. It drives the imagePullPolicy default.
func imageTag(image string) string {
	if imageIDRegexp.MatchString(image) {
		return ""
	}
	m := imageRefRegexp.FindStringSubmatch(image)
	if m == nil {
		return ""
	}
	name, tag, digest := m[1], m[2], m[3]
	if len(normalizedName(name)) > 255 {
		return ""
	}
	if digest != "" {
		algo, hex, _ := strings.Cut(digest, ":")
		if re, ok := digestHexRegexp[algo]; !ok || !re.MatchString(hex) {
			return ""
		}
	}
	if tag == "" && digest == "" {
		return "latest"
	}
	return tag
}

// normalizedName adds the docker.io/library/ parts Docker Hub names imply, for
// the 255-character name limit.
func normalizedName(name string) string {
	first, rest, found := strings.Cut(name, "/")
	if !found || (!strings.ContainsAny(first, ".:") && first != "localhost" && strings.ToLower(first) == first) {
		first, rest = "docker.io", name
	}
	if first == "index.docker.io" {
		first = "docker.io"
	}
	if first == "docker.io" && !strings.Contains(rest, "/") {
		rest = "library/" + rest
	}
	return first + "/" + rest
}
