package pod

import (
	"strings"
	"testing"
)

// TestImageTagReferenceRules pins where the reference library's rules,
// which upstream's defaulting follows, decide the tag: any digest go-digest
// verifies, and the 255-character limit on the path alone.
func TestImageTagReferenceRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, image, want string
	}{
		{"sha512 digest", "nginx@sha512:" + strings.Repeat("a", 128), ""},
		{"tag and sha384 digest", "nginx:1.27@sha384:" + strings.Repeat("a", 96), "1.27"},
		{"long path under a registry", "registry.example.com/" + strings.Repeat("a", 255), "latest"},
		{"path too long", "registry.example.com/" + strings.Repeat("a", 256), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := imageTag(tc.image); got != tc.want {
				t.Errorf("imageTag(%q) = %q, want %q", tc.image, got, tc.want)
			}
		})
	}
}
