package kubelet

import (
	"testing"
	"time"
)

// TestTokenCache keeps a token until 80% of its lifetime has passed, as the
// kubelet's token manager renews them, and forgets a gone pod's tokens.
func TestTokenCache(t *testing.T) {
	c := newTokenCache()
	issued := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	key := tokenKey{pod: "uid-1", expiration: 3607}
	c.put(key, "t1", issued, issued.Add(1000*time.Second))
	for _, tc := range []struct {
		after time.Duration
		want  bool
	}{{0, true}, {799 * time.Second, true}, {800 * time.Second, false}, {2000 * time.Second, false}} {
		if _, ok := c.get(key, issued.Add(tc.after)); ok != tc.want {
			t.Errorf("%v after issue: cached %v, want %v", tc.after, ok, tc.want)
		}
	}
	if _, ok := c.get(tokenKey{pod: "uid-1", audience: "other", expiration: 3607}, issued); ok {
		t.Error("a token for another audience came from the cache")
	}
	c.forget("uid-1")
	if _, ok := c.get(key, issued); ok {
		t.Error("a gone pod's token is still cached")
	}
}
