package expectations

import (
	"testing"
	"time"
)

func TestExpectations(t *testing.T) {
	t.Parallel()
	now := time.Unix(0, 0)
	e := New()
	e.now = func() time.Time { return now }
	if !e.Satisfied("ns/rs") {
		t.Error("nothing expected: not satisfied")
	}
	e.ExpectCreations("ns/rs", 2)
	e.Created("ns/rs")
	if e.Satisfied("ns/rs") {
		t.Error("one of two creations seen: satisfied")
	}
	e.Created("ns/rs")
	if !e.Satisfied("ns/rs") {
		t.Error("both creations seen: not satisfied")
	}

	e.ExpectDeletions("ns/rs", []string{"ns/a", "ns/b"})
	e.Deleted("ns/rs", "ns/a")
	e.Deleted("ns/rs", "ns/a") // a graceful deletion, seen again when it ends
	if e.Satisfied("ns/rs") {
		t.Error("a deleted twice, b not at all: satisfied")
	}
	now = now.Add(Timeout + time.Second)
	if !e.Satisfied("ns/rs") {
		t.Error("past the timeout: not satisfied")
	}
	e.Forget("ns/rs")
	if !e.Satisfied("ns/rs") {
		t.Error("forgotten: not satisfied")
	}
}
