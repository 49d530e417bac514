package volumes

import (
	"path"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidatePath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		path    string
		wantErr string // "" when valid
	}{
		{name: "file", path: "a"},
		{name: "nested", path: "a/b/c"},
		{name: "dot segment", path: "./a"},
		{name: "double slash", path: "a//b"},
		{name: "trailing slash", path: "a/"},
		{name: "dots inside a name", path: "a..b"},
		{name: "dotted name below the top", path: "a/..b"},
		{name: "longest name", path: strings.Repeat("n", 255)},
		{name: "longest path", path: strings.Repeat(strings.Repeat("n", 255)+"/", 16)[:4096]},
		{name: "empty", path: "", wantErr: "invalid path: must not be empty"},
		{name: "absolute", path: "/etc/passwd", wantErr: "invalid path: must be relative path: /etc/passwd"},
		{name: "parent", path: "..", wantErr: "invalid path: must not contain '..': .."},
		{name: "parent first", path: "../x", wantErr: "invalid path: must not contain '..'"},
		{name: "parent inside", path: "a/../b", wantErr: "invalid path: must not contain '..'"},
		{name: "parent twice", path: "a/../../x", wantErr: "invalid path: must not contain '..'"},
		{name: "reserved prefix", path: "..data", wantErr: "invalid path: must not start with '..': ..data"},
		{name: "reserved prefix nested", path: "..x/y", wantErr: "invalid path: must not start with '..'"},
		{name: "reserved prefix after cleaning", path: "./..data", wantErr: "invalid path: must not start with '..'"},
		{name: "volume itself", path: ".", wantErr: "must name a file below the volume"},
		{name: "volume itself, spelt long", path: "./.", wantErr: "must name a file below the volume"},
		{name: "name too long", path: strings.Repeat("n", 256), wantErr: "filenames must be less than or equal to 255 characters"},
		{name: "path too long", path: strings.Repeat("n/", 2049), wantErr: "must be less than or equal to 4096 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := validatePath(tt.path)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("validatePath(%q) = %v, want nil", tt.path, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("validatePath(%q) = %v, want an error containing %q", tt.path, err, tt.wantErr)
			}
		})
	}
}

// FuzzValidatePath checks validatePath against the property it exists
// for, stated with the standard library: an accepted path is local and,
// cleaned, neither names the volume folder nor one of the writer's ".."
// names.
func FuzzValidatePath(f *testing.F) {
	for _, s := range []string{"a", "a/b", "../x", "/x", "./..data", ".", "a/../b", "..", "a//b/", "...", "x/.."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if validatePath(p) != nil {
			return
		}
		c := path.Clean(p)
		if !filepath.IsLocal(p) || c == "." || strings.HasPrefix(c, "..") {
			t.Errorf("validatePath(%q) accepted a path that is not a file below the volume (cleaned %q)", p, c)
		}
	})
}
