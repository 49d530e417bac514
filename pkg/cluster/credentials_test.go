package cluster

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/client-go/util/keyutil"
)

// TestSigningKeyPersists checks that the service account signing key is
// generated once, private, and the same on every later start, so tokens
// outlive restarts; and that a key already there (kubeadm's RSA sa.key)
// is used as it is.
func TestSigningKeyPersists(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "pki", "sa.key")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	first, err := loadOrCreateSigningKey(path)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("sa.key mode = %o, want 600", perm)
	}
	again, err := loadOrCreateSigningKey(path)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if !again.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(first.Public()) {
		t.Error("a second start has another signing key")
	}

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pemKey, err := keyutil.MarshalPrivateKeyToPEM(rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pemKey, 0o600); err != nil {
		t.Fatal(err)
	}
	loaded, err := loadOrCreateSigningKey(path)
	if err != nil {
		t.Fatalf("load RSA key: %v", err)
	}
	if !rsaKey.PublicKey.Equal(loaded.Public()) {
		t.Error("an existing RSA key was not used")
	}

	if err := os.WriteFile(path, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadOrCreateSigningKey(path); err == nil {
		t.Error("a corrupt key file was accepted or replaced")
	}
}
