package serviceaccount

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/uuid"
	apiserverserviceaccount "k8s.io/apiserver/pkg/authentication/serviceaccount"
)

const (
	// DefaultIssuer is the iss claim of the tokens, and the API server's
	// audience: kubeadm's --service-account-issuer, which --api-audiences
	// defaults to.
	DefaultIssuer = "https://kubernetes.default.svc.cluster.local"

	// WarnOnlyBoundExpirationSeconds is the lifetime the ServiceAccount
	// admission asks for in a pod's token volume. A pod-bound token asked
	// for with exactly this lifetime and the API server's audience is
	// issued for ExtendedExpirationSeconds instead, with a warnafter claim
	// at the requested lifetime, so that clients that never reread the
	// token file keep working (kube-apiserver's
	// --service-account-extend-token-expiration, on by default).
	WarnOnlyBoundExpirationSeconds = 60*60 + 7
	// ExtendedExpirationSeconds is how long such a token really lasts: a
	// year.
	ExtendedExpirationSeconds = 24 * 365 * 60 * 60

	// leeway is the clock skew allowed when checking exp, nbf and iat, and
	// how long a bound object may have been marked deleted before its
	// tokens stop working.
	leeway = time.Minute
)

// Errors from ParseSigned.
var (
	// ErrMalformed is returned for anything that is not a compact JWS
	// with a JSON header and payload.
	ErrMalformed = errors.New("malformed service account token")
	// ErrSignature is returned when the signature does not verify with the
	// key, or the header names another algorithm.
	ErrSignature = errors.New("invalid service account token signature")
)

// Claims are the JSON claims of a service account token. Fields are in the
// order kube-apiserver writes them (sorted), so tokens look the same.
type Claims struct {
	Audience   []string         `json:"aud,omitempty"`
	Expiry     int64            `json:"exp,omitempty"`
	IssuedAt   int64            `json:"iat,omitempty"`
	Issuer     string           `json:"iss,omitempty"`
	ID         string           `json:"jti,omitempty"`
	Kubernetes KubernetesClaims `json:"kubernetes.io"`
	NotBefore  int64            `json:"nbf,omitempty"`
	Subject    string           `json:"sub,omitempty"`
}

// KubernetesClaims is the private "kubernetes.io" claim: whose token it is
// and what it is bound to.
type KubernetesClaims struct {
	Namespace      string     `json:"namespace,omitempty"`
	Node           *ObjectRef `json:"node,omitempty"`
	Pod            *ObjectRef `json:"pod,omitempty"`
	Secret         *ObjectRef `json:"secret,omitempty"`
	ServiceAccount ObjectRef  `json:"serviceaccount"`
	// WarnAfter is when a token with an extended lifetime would have
	// expired had it not been extended.
	WarnAfter int64 `json:"warnafter,omitempty"`
}

// ObjectRef names an object a token belongs or is bound to.
type ObjectRef struct {
	Name string `json:"name,omitempty"`
	UID  string `json:"uid,omitempty"`
}

// Binding is what a token is bound to: a pod (with the node it runs on,
// if known), a secret, a node, or nothing.
type Binding struct {
	Pod    *corev1.Pod
	Secret *corev1.Secret
	Node   *corev1.Node
}

// NewClaims are the claims of a token for sa bound to b, issued at now for
// expirationSeconds, with a warnafter claim if warnAfterSeconds is not 0.
// The issuer is left for Issuer.Sign to fill in.
func NewClaims(sa *corev1.ServiceAccount, b Binding, now time.Time, expirationSeconds, warnAfterSeconds int64, audiences []string) (Claims, error) {
	if b.Secret != nil && (b.Pod != nil || b.Node != nil) {
		return Claims{}, errors.New("internal error, token can only be bound to one object type")
	}
	c := Claims{
		Audience:  audiences,
		Expiry:    now.Add(time.Duration(expirationSeconds) * time.Second).Unix(),
		IssuedAt:  now.Unix(),
		ID:        string(uuid.NewUUID()),
		NotBefore: now.Unix(),
		Subject:   apiserverserviceaccount.MakeUsername(sa.Namespace, sa.Name),
		Kubernetes: KubernetesClaims{
			Namespace:      sa.Namespace,
			ServiceAccount: ObjectRef{Name: sa.Name, UID: string(sa.UID)},
		},
	}
	switch {
	case b.Pod != nil:
		c.Kubernetes.Pod = &ObjectRef{Name: b.Pod.Name, UID: string(b.Pod.UID)}
		if b.Node != nil {
			c.Kubernetes.Node = &ObjectRef{Name: b.Node.Name, UID: string(b.Node.UID)}
		}
	case b.Secret != nil:
		c.Kubernetes.Secret = &ObjectRef{Name: b.Secret.Name, UID: string(b.Secret.UID)}
	case b.Node != nil:
		c.Kubernetes.Node = &ObjectRef{Name: b.Node.Name, UID: string(b.Node.UID)}
	}
	if warnAfterSeconds != 0 {
		c.Kubernetes.WarnAfter = now.Add(time.Duration(warnAfterSeconds) * time.Second).Unix()
	}
	return c, nil
}

// Issuer signs service account tokens with one key: ES256 for an ECDSA
// P-256 key, RS256 for an RSA key, as kube-apiserver does.
type Issuer struct {
	issuer    string
	audiences []string
	key       crypto.Signer
	alg       string
	keyID     string
}

// NewIssuer returns an Issuer whose tokens name issuer as iss and which
// defaults their audience to audiences (the API server's).
func NewIssuer(issuer string, audiences []string, key crypto.Signer) (*Issuer, error) {
	alg, err := algorithm(key.Public())
	if err != nil {
		return nil, err
	}
	kid, err := KeyID(key.Public())
	if err != nil {
		return nil, err
	}
	return &Issuer{issuer: issuer, audiences: audiences, key: key, alg: alg, keyID: kid}, nil
}

// Audiences are the API server's audiences: the default audience of a
// TokenRequest, and those a token must have one of to authenticate.
func (i *Issuer) Audiences() []string { return append([]string(nil), i.audiences...) }

// Sign sets c's issuer and returns c as a compact JWS.
func (i *Issuer) Sign(c Claims) (string, error) {
	c.Issuer = i.issuer
	header, err := json.Marshal(struct {
		Alg string `json:"alg"`
		Kid string `json:"kid,omitempty"`
	}{i.alg, i.keyID})
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	signingInput := b64(header) + "." + b64(payload)
	digest := sha256.Sum256([]byte(signingInput))
	var sig []byte
	switch key := i.key.(type) {
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, key, digest[:])
		if err != nil {
			return "", err
		}
		// JWS wants r and s as fixed-size big-endian integers, not ASN.1.
		size := (key.Curve.Params().BitSize + 7) / 8
		sig = make([]byte, 2*size)
		r.FillBytes(sig[:size])
		s.FillBytes(sig[size:])
	default:
		if sig, err = i.key.Sign(rand.Reader, digest[:], crypto.SHA256); err != nil {
			return "", err
		}
	}
	return signingInput + "." + b64(sig), nil
}

// KeyID is the kid kube-apiserver gives a key: the unpadded base64url
// SHA-256 of its PKIX DER encoding.
func KeyID(public crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(public)
	if err != nil {
		return "", fmt.Errorf("marshal public key: %w", err)
	}
	sum := sha256.Sum256(der)
	return b64(sum[:]), nil
}

// algorithm is the JWS algorithm for a public key.
func algorithm(public crypto.PublicKey) (string, error) {
	switch key := public.(type) {
	case *ecdsa.PublicKey:
		if key.Curve != elliptic.P256() {
			return "", fmt.Errorf("unsupported ECDSA curve %s: only P-256 (ES256) is supported", key.Curve.Params().Name)
		}
		return "ES256", nil
	case *rsa.PublicKey:
		return "RS256", nil
	}
	return "", fmt.Errorf("unsupported service account key type %T", public)
}

// ParseSigned verifies token's signature with public and returns its claims.
// It does not check times, issuer or audiences.
func ParseSigned(token string, public crypto.PublicKey) (Claims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return Claims{}, ErrMalformed
	}
	var header struct {
		Alg string `json:"alg"`
	}
	if err := decodeSegment(parts[0], &header); err != nil {
		return Claims{}, err
	}
	alg, err := algorithm(public)
	if err != nil {
		return Claims{}, err
	}
	if header.Alg != alg {
		return Claims{}, ErrSignature
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return Claims{}, ErrMalformed
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	switch key := public.(type) {
	case *ecdsa.PublicKey:
		size := (key.Curve.Params().BitSize + 7) / 8
		if len(sig) != 2*size {
			return Claims{}, ErrSignature
		}
		r, s := new(big.Int).SetBytes(sig[:size]), new(big.Int).SetBytes(sig[size:])
		if !ecdsa.Verify(key, digest[:], r, s) {
			return Claims{}, ErrSignature
		}
	case *rsa.PublicKey:
		if rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], sig) != nil {
			return Claims{}, ErrSignature
		}
	}
	var c Claims
	if err := decodeSegment(parts[1], &c); err != nil {
		return Claims{}, err
	}
	return c, nil
}

// unverifiedIssuer is the iss claim of what looks like a JWT, without
// checking anything else, so that other tokens can be told apart cheaply.
func unverifiedIssuer(token string) (string, bool) {
	if strings.HasPrefix(strings.TrimSpace(token), "{") {
		return "", false
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", false
	}
	var c struct {
		Issuer string `json:"iss"`
	}
	if decodeSegment(parts[1], &c) != nil {
		return "", false
	}
	return c.Issuer, true
}

// decodeSegment decodes one base64url JSON part of a JWS into v. The
// audience may be a single string, as RFC 7519 allows.
func decodeSegment(seg string, v any) error {
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return ErrMalformed
	}
	if c, ok := v.(*Claims); ok {
		var wire struct {
			Claims
			Audience json.RawMessage `json:"aud,omitempty"`
		}
		if err := json.Unmarshal(raw, &wire); err != nil {
			return ErrMalformed
		}
		*c = wire.Claims
		c.Audience = nil
		if len(wire.Audience) > 0 {
			var one string
			if json.Unmarshal(wire.Audience, &one) == nil {
				c.Audience = []string{one}
			} else if json.Unmarshal(wire.Audience, &c.Audience) != nil {
				return ErrMalformed
			}
		}
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return ErrMalformed
	}
	return nil
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
