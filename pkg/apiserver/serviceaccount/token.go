package serviceaccount

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/cryptosigner"
	"github.com/go-jose/go-jose/v4/jwt"
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
	signer    jose.Signer
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
	// The key goes through crypto.Signer rather than as a private key so
	// that keys held elsewhere (a KMS, an HSM) sign too. No options: the
	// header is {"alg","kid"} with no typ, as kube-apiserver's.
	signer, err := jose.NewSigner(jose.SigningKey{
		Algorithm: alg,
		Key:       jose.JSONWebKey{Key: cryptosigner.Opaque(key), KeyID: kid},
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("service account token signer: %w", err)
	}
	return &Issuer{issuer: issuer, audiences: audiences, signer: signer}, nil
}

// Audiences are the API server's audiences: the default audience of a
// TokenRequest, and those a token must have one of to authenticate.
func (i *Issuer) Audiences() []string { return append([]string(nil), i.audiences...) }

// Sign sets c's issuer and returns c as a compact JWS. Claims rather than
// jwt.Claims carry the audience, because jwt.Audience writes a single
// audience as a bare string and kube-apiserver's tokens always carry a
// list.
func (i *Issuer) Sign(c Claims) (string, error) {
	c.Issuer = i.issuer
	return jwt.Signed(i.signer).Claims(c).Serialize()
}

// KeyID is the kid kube-apiserver gives a key: the unpadded base64url
// SHA-256 of its PKIX DER encoding (not the RFC 7638 JWK thumbprint).
func KeyID(public crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(public)
	if err != nil {
		return "", fmt.Errorf("marshal public key: %w", err)
	}
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:]), nil
}

// algorithm is the JWS algorithm for a public key.
func algorithm(public crypto.PublicKey) (jose.SignatureAlgorithm, error) {
	switch key := public.(type) {
	case *ecdsa.PublicKey:
		if key.Curve != elliptic.P256() {
			return "", fmt.Errorf("unsupported ECDSA curve %s: only P-256 (ES256) is supported", key.Curve.Params().Name)
		}
		return jose.ES256, nil
	case *rsa.PublicKey:
		return jose.RS256, nil
	}
	return "", fmt.Errorf("unsupported service account key type %T", public)
}

// wireClaims are Claims as a token may carry them: the audience may be a
// single string, as RFC 7519 allows.
type wireClaims struct {
	Claims
	Audience jwt.Audience `json:"aud,omitempty"`
}

// ParseSigned verifies token's signature with public and returns its claims.
// It does not check times, issuer or audiences.
func ParseSigned(token string, public crypto.PublicKey) (Claims, error) {
	alg, err := algorithm(public)
	if err != nil {
		return Claims{}, err
	}
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{alg})
	if unexpected := (*jose.ErrUnexpectedSignatureAlgorithm)(nil); errors.As(err, &unexpected) {
		return Claims{}, ErrSignature
	}
	if err != nil {
		return Claims{}, ErrMalformed
	}
	var wire wireClaims
	if err := tok.Claims(public, &wire); errors.Is(err, jose.ErrCryptoFailure) {
		return Claims{}, ErrSignature
	} else if err != nil {
		return Claims{}, ErrMalformed
	}
	c := wire.Claims
	c.Audience = wire.Audience
	return c, nil
}

// unverifiedIssuer is the iss claim of what looks like a signed JWT,
// without checking anything else, so that other tokens can be told apart
// cheaply.
func unverifiedIssuer(token string) (string, bool) {
	// Only a token naming a public-key algorithm is looked at; "none" and
	// the HMAC ones are left to other authenticators, as kube-apiserver does.
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{
		jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
		jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
	})
	if err != nil {
		return "", false
	}
	var c struct {
		Issuer string `json:"iss"`
	}
	if tok.UnsafeClaimsWithoutVerification(&c) != nil {
		return "", false
	}
	return c.Issuer, true
}
