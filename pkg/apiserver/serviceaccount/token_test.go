package serviceaccount

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/user"
)

func ecKey(t testing.TB) crypto.Signer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func rsaKey(t testing.TB) crypto.Signer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

var apiAudiences = []string{DefaultIssuer}

// TestSignAndParse round-trips claims through each key type and checks
// that a token does not verify with another key or once changed.
func TestSignAndParse(t *testing.T) {
	t.Parallel()
	sa := serviceAccount("default")
	now := time.Unix(1_700_000_000, 0)
	for _, tt := range []struct {
		name    string
		key     crypto.Signer
		wantAlg string
	}{
		{"ES256", ecKey(t), "ES256"},
		{"RS256", rsaKey(t), "RS256"},
		// A key only reachable through crypto.Signer, as one in a KMS is.
		{"ES256 opaque signer", opaqueSigner{ecKey(t)}, "ES256"},
		{"RS256 opaque signer", opaqueSigner{rsaKey(t)}, "RS256"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			issuer, err := NewIssuer(DefaultIssuer, apiAudiences, tt.key)
			if err != nil {
				t.Fatal(err)
			}
			claims, err := NewClaims(sa, Binding{}, now, 3600, 0, apiAudiences)
			if err != nil {
				t.Fatal(err)
			}
			token, err := issuer.Sign(claims)
			if err != nil {
				t.Fatal(err)
			}
			parts := strings.Split(token, ".")
			if len(parts) != 3 {
				t.Fatalf("token has %d parts, want 3", len(parts))
			}
			header, err := base64.RawURLEncoding.DecodeString(parts[0])
			if err != nil {
				t.Fatal(err)
			}
			kid, err := KeyID(tt.key.Public())
			if err != nil {
				t.Fatal(err)
			}
			if want := `{"alg":"` + tt.wantAlg + `","kid":"` + kid + `"}`; string(header) != want {
				t.Errorf("header = %s, want %s", header, want)
			}
			payload, err := base64.RawURLEncoding.DecodeString(parts[1])
			if err != nil {
				t.Fatal(err)
			}
			// One audience is still a list, as in kube-apiserver's tokens.
			if want := `"aud":["` + DefaultIssuer + `"]`; !strings.Contains(string(payload), want) {
				t.Errorf("payload %s does not contain %s", payload, want)
			}
			got, err := ParseSigned(token, tt.key.Public())
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			claims.Issuer = DefaultIssuer
			if diff := cmp.Diff(claims, got); diff != "" {
				t.Errorf("claims (-want +got):\n%s", diff)
			}
			if _, err := ParseSigned(token, ecKey(t).Public()); !errors.Is(err, ErrSignature) {
				t.Errorf("parse with another key: err = %v, want ErrSignature", err)
			}
			forged := strings.Replace(string(payload), "system:serviceaccount:ns:default", "system:serviceaccount:ns:admin", 1)
			tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(forged)) + "." + parts[2]
			if _, err := ParseSigned(tampered, tt.key.Public()); !errors.Is(err, ErrSignature) {
				t.Errorf("parse tampered token: err = %v, want ErrSignature", err)
			}
			unsigned := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." + parts[1] + "."
			if _, err := ParseSigned(unsigned, tt.key.Public()); !errors.Is(err, ErrSignature) {
				t.Errorf("parse alg none: err = %v, want ErrSignature", err)
			}
		})
	}
}

// opaqueSigner hides which key type signs, so that it is only a
// crypto.Signer.
type opaqueSigner struct{ crypto.Signer }

// TestParseSingleAudience checks that a token whose aud is one string, as
// RFC 7519 allows and other issuers write, parses to a one-element list.
func TestParseSingleAudience(t *testing.T) {
	t.Parallel()
	key := ecKey(t)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, nil)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign([]byte(`{"aud":"vault","iss":"` + DefaultIssuer + `","sub":"s"}`))
	if err != nil {
		t.Fatal(err)
	}
	token, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseSigned(token, key.Public())
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	want := Claims{Audience: []string{"vault"}, Issuer: DefaultIssuer, Subject: "s"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("claims (-want +got):\n%s", diff)
	}
	if _, err := ParseSigned("not.a.token", key.Public()); !errors.Is(err, ErrMalformed) {
		t.Errorf("parse garbage: err = %v, want ErrMalformed", err)
	}
}

// TestClaimsJSON pins the payload's shape: kube-apiserver's claims, keys
// sorted, the audience a list.
func TestClaimsJSON(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", UID: "pod-uid"}}
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1", UID: "node-uid"}}
	claims, err := NewClaims(serviceAccount("default"), Binding{Pod: pod, Node: node}, now, ExtendedExpirationSeconds, WarnOnlyBoundExpirationSeconds, apiAudiences)
	if err != nil {
		t.Fatal(err)
	}
	claims.ID = "jti"
	claims.Issuer = DefaultIssuer
	got, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"aud":["https://kubernetes.default.svc.cluster.local"],"exp":1731536000,"iat":1700000000,` +
		`"iss":"https://kubernetes.default.svc.cluster.local","jti":"jti","kubernetes.io":{"namespace":"ns",` +
		`"node":{"name":"n1","uid":"node-uid"},"pod":{"name":"web","uid":"pod-uid"},` +
		`"serviceaccount":{"name":"default","uid":"sa-uid"},"warnafter":1700003607},"nbf":1700000000,` +
		`"sub":"system:serviceaccount:ns:default"}`
	if string(got) != want {
		t.Errorf("claims JSON:\n got %s\nwant %s", got, want)
	}
	if _, err := NewClaims(serviceAccount("default"), Binding{Pod: pod, Secret: &corev1.Secret{}}, now, 600, 0, nil); err == nil {
		t.Error("claims bound to a pod and a secret: no error")
	}
}

// objects is a Getter over a fixed set of objects.
type objects struct {
	serviceAccounts map[string]*corev1.ServiceAccount
	pods            map[string]*corev1.Pod
	secrets         map[string]*corev1.Secret
	nodes           map[string]*corev1.Node
}

var _ Getter = objects{}

func get[T any](m map[string]*T, resource, key string) (*T, error) {
	if obj, ok := m[key]; ok {
		return obj, nil
	}
	return nil, apierrors.NewNotFound(corev1.Resource(resource), key)
}

func (o objects) GetServiceAccount(_ context.Context, ns, name string) (*corev1.ServiceAccount, error) {
	return get(o.serviceAccounts, "serviceaccounts", ns+"/"+name)
}
func (o objects) GetPod(_ context.Context, ns, name string) (*corev1.Pod, error) {
	return get(o.pods, "pods", ns+"/"+name)
}
func (o objects) GetSecret(_ context.Context, ns, name string) (*corev1.Secret, error) {
	return get(o.secrets, "secrets", ns+"/"+name)
}
func (o objects) GetNode(_ context.Context, name string) (*corev1.Node, error) {
	return get(o.nodes, "nodes", name)
}

func TestAuthenticator(t *testing.T) {
	t.Parallel()
	key := ecKey(t)
	issuer, err := NewIssuer(DefaultIssuer, apiAudiences, key)
	if err != nil {
		t.Fatal(err)
	}
	issued := time.Unix(1_700_000_000, 0)
	longAgo := metav1.NewTime(issued.Add(-time.Hour))
	sa := serviceAccount("default")
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", UID: "pod-uid"}}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "ns", UID: "secret-uid"}}
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1", UID: "node-uid"}}
	all := objects{
		serviceAccounts: map[string]*corev1.ServiceAccount{"ns/default": sa},
		pods:            map[string]*corev1.Pod{"ns/web": pod},
		secrets:         map[string]*corev1.Secret{"ns/s": secret},
		nodes:           map[string]*corev1.Node{"n1": node},
	}
	without := func(mutate func(*objects)) objects {
		o := objects{
			serviceAccounts: map[string]*corev1.ServiceAccount{"ns/default": sa},
			pods:            map[string]*corev1.Pod{"ns/web": pod},
			secrets:         map[string]*corev1.Secret{"ns/s": secret},
			nodes:           map[string]*corev1.Node{"n1": node},
		}
		mutate(&o)
		return o
	}
	sign := func(b Binding, audiences []string) string {
		c, err := NewClaims(sa, b, issued, 3600, 0, audiences)
		if err != nil {
			t.Fatal(err)
		}
		token, err := issuer.Sign(c)
		if err != nil {
			t.Fatal(err)
		}
		return token
	}
	saUser := func(extra map[string][]string) user.Info {
		return &user.DefaultInfo{Name: "system:serviceaccount:ns:default", UID: "sa-uid",
			Groups: []string{"system:serviceaccounts", "system:serviceaccounts:ns"}, Extra: extra}
	}
	otherIssuer, err := NewIssuer("https://other.example", apiAudiences, key)
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := otherIssuer.Sign(Claims{Kubernetes: KubernetesClaims{Namespace: "ns", ServiceAccount: ObjectRef{Name: "default", UID: "sa-uid"}}})
	if err != nil {
		t.Fatal(err)
	}
	forgedIssuer, err := NewIssuer(DefaultIssuer, apiAudiences, ecKey(t))
	if err != nil {
		t.Fatal(err)
	}
	forgedClaims, _ := NewClaims(sa, Binding{}, issued, 3600, 0, apiAudiences)
	forged, err := forgedIssuer.Sign(forgedClaims)
	if err != nil {
		t.Fatal(err)
	}

	unsigned := func(token string) string {
		_, rest, _ := strings.Cut(token, ".")
		payload, _, _ := strings.Cut(rest, ".")
		return base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." + payload + "."
	}

	tests := []struct {
		name    string
		token   string
		now     time.Time
		getter  Getter
		want    user.Info
		wantOK  bool
		wantErr string
	}{{
		name: "unbound", token: sign(Binding{}, nil), now: issued.Add(time.Minute), getter: all, wantOK: true,
		want: saUser(nil),
	}, {
		name: "pod-bound, with its node", token: sign(Binding{Pod: pod, Node: node}, apiAudiences), now: issued, getter: all, wantOK: true,
		want: saUser(map[string][]string{
			"authentication.kubernetes.io/pod-name": {"web"}, "authentication.kubernetes.io/pod-uid": {"pod-uid"},
			"authentication.kubernetes.io/node-name": {"n1"}, "authentication.kubernetes.io/node-uid": {"node-uid"},
		}),
	}, {
		name: "node-bound", token: sign(Binding{Node: node}, apiAudiences), now: issued, getter: all, wantOK: true,
		want: saUser(map[string][]string{"authentication.kubernetes.io/node-name": {"n1"}, "authentication.kubernetes.io/node-uid": {"node-uid"}}),
	}, {
		name: "secret-bound", token: sign(Binding{Secret: secret}, apiAudiences), now: issued, getter: all, wantOK: true,
		want: saUser(nil),
	}, {
		name: "expired, within the leeway", token: sign(Binding{}, apiAudiences), now: issued.Add(time.Hour + 30*time.Second), getter: all, wantOK: true,
		want: saUser(nil),
	}, {
		name: "expired", token: sign(Binding{}, apiAudiences), now: issued.Add(time.Hour + 2*time.Minute), getter: all,
		wantErr: "service account token has expired",
	}, {
		name: "not yet valid", token: sign(Binding{}, apiAudiences), now: issued.Add(-2 * time.Minute), getter: all,
		wantErr: "service account token could not be validated due to unexpected validation error",
	}, {
		name: "another audience", token: sign(Binding{}, []string{"vault"}), now: issued, getter: all,
		wantErr: `token audiences ["vault"] is invalid for the target audiences ["https://kubernetes.default.svc.cluster.local"]`,
	}, {
		name: "another issuer is not ours", token: foreign, now: issued, getter: all,
	}, {
		name: "not a JWT is not ours", token: "abc.def", now: issued, getter: all,
	}, {
		// As in kube-apiserver, a token that names no public-key algorithm
		// is left to other authenticators.
		name: "alg none is not ours", token: unsigned(sign(Binding{}, apiAudiences)), now: issued, getter: all,
	}, {
		name: "signed with another key", token: forged, now: issued, getter: all,
		wantErr: ErrSignature.Error(),
	}, {
		name: "service account deleted", token: sign(Binding{}, apiAudiences), now: issued,
		getter:  without(func(o *objects) { delete(o.serviceAccounts, "ns/default") }),
		wantErr: `serviceaccounts "ns/default" not found`,
	}, {
		name: "service account recreated", token: sign(Binding{}, apiAudiences), now: issued,
		getter: without(func(o *objects) {
			o.serviceAccounts["ns/default"] = serviceAccount("default", func(sa *corev1.ServiceAccount) { sa.UID = "new-uid" })
		}),
		wantErr: "service account UID (new-uid) does not match claim (sa-uid)",
	}, {
		name: "service account being deleted for long", token: sign(Binding{}, apiAudiences), now: issued,
		getter: without(func(o *objects) {
			o.serviceAccounts["ns/default"] = serviceAccount("default", func(sa *corev1.ServiceAccount) { sa.DeletionTimestamp = &longAgo })
		}),
		wantErr: "service account ns/default has been deleted",
	}, {
		name: "bound pod deleted", token: sign(Binding{Pod: pod}, apiAudiences), now: issued,
		getter:  without(func(o *objects) { delete(o.pods, "ns/web") }),
		wantErr: "service account token has been invalidated",
	}, {
		name: "bound pod recreated", token: sign(Binding{Pod: pod}, apiAudiences), now: issued,
		getter: without(func(o *objects) {
			o.pods["ns/web"] = &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "ns", UID: "new-uid"}}
		}),
		wantErr: "pod UID (new-uid) does not match service account pod ref claim (pod-uid)",
	}, {
		name: "bound secret deleted", token: sign(Binding{Secret: secret}, apiAudiences), now: issued,
		getter:  without(func(o *objects) { delete(o.secrets, "ns/s") }),
		wantErr: "service account token has been invalidated",
	}, {
		name: "bound node deleted", token: sign(Binding{Node: node}, apiAudiences), now: issued,
		getter:  without(func(o *objects) { delete(o.nodes, "n1") }),
		wantErr: "service account token has been invalidated",
	}, {
		name: "a pod-bound token does not need its node", token: sign(Binding{Pod: pod, Node: node}, apiAudiences), now: issued,
		getter: without(func(o *objects) { delete(o.nodes, "n1") }), wantOK: true,
		want: saUser(map[string][]string{
			"authentication.kubernetes.io/pod-name": {"web"}, "authentication.kubernetes.io/pod-uid": {"pod-uid"},
			"authentication.kubernetes.io/node-name": {"n1"}, "authentication.kubernetes.io/node-uid": {"node-uid"},
		}),
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := NewAuthenticator(DefaultIssuer, apiAudiences, key.Public(), tt.getter)
			if err != nil {
				t.Fatal(err)
			}
			a.now = func() time.Time { return tt.now }
			ctx := authenticator.WithAudiences(t.Context(), apiAudiences)
			resp, ok, err := a.AuthenticateToken(ctx, tt.token)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatalf("authenticate: %v", err)
			}
			if ok != tt.wantOK {
				t.Fatalf("authenticated = %v, want %v", ok, tt.wantOK)
			}
			if !ok {
				return
			}
			got := resp.User.(*user.DefaultInfo)
			// The credential ID is the token's random jti.
			if id := got.Extra[user.CredentialIDKey]; len(id) != 1 || !strings.HasPrefix(id[0], "JTI=") {
				t.Errorf("credential id = %v, want JTI=<jti>", id)
			}
			delete(got.Extra, user.CredentialIDKey)
			if len(got.Extra) == 0 {
				got.Extra = nil
			}
			if diff := cmp.Diff(tt.want, resp.User); diff != "" {
				t.Errorf("user (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(authenticator.Audiences(apiAudiences), resp.Audiences); diff != "" {
				t.Errorf("audiences (-want +got):\n%s", diff)
			}
		})
	}
}
