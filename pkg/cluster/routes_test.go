package cluster

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealthEndpoints(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		stopping bool
		path     string
		wantCode int
		wantBody string
	}{
		{name: "livez", path: "/livez", wantCode: http.StatusOK, wantBody: "ok"},
		{name: "readyz", path: "/readyz", wantCode: http.StatusOK, wantBody: "ok"},
		{name: "healthz", path: "/healthz", wantCode: http.StatusOK, wantBody: "ok"},
		{name: "readyz while stopping", stopping: true, path: "/readyz", wantCode: http.StatusInternalServerError, wantBody: "shutting down"},
		{name: "livez while stopping", stopping: true, path: "/livez", wantCode: http.StatusOK, wantBody: "ok"},
		{name: "unknown path", path: "/api", wantCode: http.StatusNotFound, wantBody: "404 page not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := &Cluster{}
			c.stopping.Store(tt.stopping)
			rec := httptest.NewRecorder()
			c.routes().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
			if got := strings.TrimSpace(rec.Body.String()); rec.Code != tt.wantCode || got != tt.wantBody {
				t.Errorf("GET %s = %d %q, want %d %q", tt.path, rec.Code, got, tt.wantCode, tt.wantBody)
			}
		})
	}
}
