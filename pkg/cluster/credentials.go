package cluster

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/client-go/util/cert"
	"k8s.io/client-go/util/keyutil"

	kubeletserver "github.com/fakecluster/fakecluster/pkg/kubelet/server"
)

// credentials are what a cluster serves with and what its clients present.
// The CA, the token and the service account signing key live in the data
// dir and survive restarts, so a kubeconfig written once and service account
// tokens issued before a restart keep working; the serving certificate is
// issued anew on each start, for whatever address the cluster listens on.
type credentials struct {
	caPEM          []byte
	servingCertPEM []byte
	servingKeyPEM  []byte
	token          string
	// serviceAccountKey signs service account tokens (kube-apiserver's
	// --service-account-signing-key-file); its public half verifies them.
	serviceAccountKey crypto.Signer
	// caCert and caKey sign the kubelets' serving certificates.
	caCert *x509.Certificate
	caKey  crypto.Signer
	// caKeyPEM is caKey in PEM, for the kubelet server.
	caKeyPEM []byte
	// kubeletClientCertPEM and kubeletClientKeyPEM are what the API
	// server presents to kubelets, as kubeadm's apiserver-kubelet-client.
	kubeletClientCertPEM, kubeletClientKeyPEM []byte
}

const (
	caCertFile = "pki/ca.crt"
	caKeyFile  = "pki/ca.key"
	tokenFile  = "pki/admin.token"
	// serviceAccountKeyFile is named as kubeadm names it.
	serviceAccountKeyFile = "pki/sa.key"
)

// loadOrCreateCredentials reads the CA and token from dataDir, creating them
// on first start, and issues a serving certificate for dial and localhost.
func loadOrCreateCredentials(dataDir string, dial netip.Addr) (credentials, error) {
	if err := os.MkdirAll(filepath.Join(dataDir, "pki"), 0o700); err != nil {
		return credentials{}, err
	}
	caCert, caKey, err := loadOrCreateCA(dataDir)
	if err != nil {
		return credentials{}, err
	}
	token, err := loadOrCreateToken(filepath.Join(dataDir, tokenFile))
	if err != nil {
		return credentials{}, err
	}
	saKey, err := loadOrCreateSigningKey(filepath.Join(dataDir, serviceAccountKeyFile))
	if err != nil {
		return credentials{}, fmt.Errorf("service account signing key: %w", err)
	}
	certPEM, keyPEM, err := issueServingCert(caCert, caKey, dial)
	if err != nil {
		return credentials{}, fmt.Errorf("issue serving certificate: %w", err)
	}
	clientCertPEM, clientKeyPEM, err := issueCert(caCert, caKey, &x509.Certificate{
		Subject:     pkix.Name{CommonName: kubeletserver.APIServerClientCN, Organization: []string{"system:masters"}},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		return credentials{}, fmt.Errorf("issue kubelet client certificate: %w", err)
	}
	caKeyPEM, err := keyutil.MarshalPrivateKeyToPEM(caKey)
	if err != nil {
		return credentials{}, fmt.Errorf("CA key: %w", err)
	}
	return credentials{
		caPEM:                pemCert(caCert),
		servingCertPEM:       append(certPEM, pemCert(caCert)...),
		servingKeyPEM:        keyPEM,
		token:                token,
		serviceAccountKey:    saKey,
		caCert:               caCert,
		caKey:                caKey,
		caKeyPEM:             caKeyPEM,
		kubeletClientCertPEM: clientCertPEM,
		kubeletClientKeyPEM:  clientKeyPEM,
	}, nil
}

// loadOrCreateSigningKey reads the private key at path, or generates an
// ECDSA P-256 key and writes it there (mode 0600) on first start. A key
// that is already there is used whatever its kind, so an RSA sa.key copied
// from a kubeadm cluster works too.
func loadOrCreateSigningKey(path string) (crypto.Signer, error) {
	key, err := keyutil.PrivateKeyFromFile(path)
	switch {
	case err == nil:
		signer, ok := key.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("key %s cannot sign", path)
		}
		return signer, nil
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	generated, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	keyPEM, err := keyutil.MarshalPrivateKeyToPEM(generated)
	if err != nil {
		return nil, err
	}
	if err := keyutil.WriteKey(path, keyPEM); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return generated, nil
}

func loadOrCreateCA(dataDir string) (*x509.Certificate, crypto.Signer, error) {
	certPath, keyPath := filepath.Join(dataDir, caCertFile), filepath.Join(dataDir, caKeyFile)
	if certs, err := cert.CertsFromFile(certPath); err == nil {
		key, err := keyutil.PrivateKeyFromFile(keyPath)
		if err != nil {
			return nil, nil, fmt.Errorf("read CA key: %w", err)
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return nil, nil, fmt.Errorf("CA key %s cannot sign", keyPath)
		}
		return certs[0], signer, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("read CA certificate: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	caCert, err := cert.NewSelfSignedCACert(cert.Config{CommonName: "fakecluster-ca"}, key)
	if err != nil {
		return nil, nil, fmt.Errorf("create CA: %w", err)
	}
	keyPEM, err := keyutil.MarshalPrivateKeyToPEM(key)
	if err != nil {
		return nil, nil, err
	}
	if err := keyutil.WriteKey(keyPath, keyPEM); err != nil {
		return nil, nil, fmt.Errorf("write CA key: %w", err)
	}
	if err := cert.WriteCert(certPath, pemCert(caCert)); err != nil {
		return nil, nil, fmt.Errorf("write CA certificate: %w", err)
	}
	return caCert, key, nil
}

func loadOrCreateToken(path string) (string, error) {
	if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
		return string(b), nil
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read token: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	if err := os.WriteFile(path, []byte(token), 0o600); err != nil {
		return "", fmt.Errorf("write token: %w", err)
	}
	return token, nil
}

// issueServingCert signs a certificate valid for the dial address, the
// loopback addresses and the names in-cluster clients use for the API.
func issueServingCert(ca *x509.Certificate, caKey crypto.Signer, dial netip.Addr) (certPEM, keyPEM []byte, err error) {
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "kube-apiserver"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames: []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
			"kubernetes.default.svc.cluster.local"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if !dial.IsLoopback() {
		tmpl.IPAddresses = append(tmpl.IPAddresses, dial.AsSlice())
	}
	return issueCert(ca, caKey, tmpl)
}

// issueCert signs tmpl, with a new P-256 key, a random serial and a year
// of validity, with ca.
func issueCert(ca *x509.Certificate, caKey crypto.Signer, tmpl *x509.Certificate) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl.SerialNumber = serial
	tmpl.NotBefore, tmpl.NotAfter = now.Add(-time.Hour), now.Add(365*24*time.Hour)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err = keyutil.MarshalPrivateKeyToPEM(key)
	if err != nil {
		return nil, nil, err
	}
	return pemBlock(cert.CertificateBlockType, der), keyPEM, nil
}

func pemCert(c *x509.Certificate) []byte { return pemBlock(cert.CertificateBlockType, c.Raw) }

// writeKubeconfig writes a kubeconfig for the admin token, mode 0600, to
// path: one cluster, user and context, all named "fakecluster".
func writeKubeconfig(path, server string, creds credentials) error {
	const name = "fakecluster"
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[name] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: creds.caPEM}
	cfg.AuthInfos[name] = &clientcmdapi.AuthInfo{Token: creds.token}
	cfg.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name, Namespace: "default"}
	cfg.CurrentContext = name
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return err
	}
	// WriteToFile keeps an existing file's mode; the credential must not be
	// readable by others whatever was there before.
	return os.Chmod(path, 0o600)
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}
