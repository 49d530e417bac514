package volumes

import (
	"context"
	"fmt"
	"io/fs"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
)

// The API's defaults, used when the pod spec was not defaulted.
const (
	defaultFileMode          fs.FileMode = 0o644
	defaultExpirationSeconds int64       = 3600
)

// collect gathers the payload of v, a configMap, secret, downwardAPI or
// projected volume, as the kubelet's plugin for it does.
func collect(ctx context.Context, pod *corev1.Pod, v *corev1.Volume, src Source) (map[string]file, error) {
	switch {
	case v.ConfigMap != nil:
		s := v.ConfigMap
		optional := s.Optional != nil && *s.Optional
		cm, err := getConfigMap(ctx, src, pod.Namespace, s.Name, optional)
		if err != nil {
			return nil, err
		}
		return configMapPayload(cm, s.Items, s.DefaultMode, optional)
	case v.Secret != nil:
		s := v.Secret
		optional := s.Optional != nil && *s.Optional
		secret, err := getSecret(ctx, src, pod.Namespace, s.SecretName, optional)
		if err != nil {
			return nil, err
		}
		return secretPayload(secret, s.Items, s.DefaultMode, optional)
	case v.DownwardAPI != nil:
		return downwardAPIPayload(pod, v.DownwardAPI.Items, v.DownwardAPI.DefaultMode, src)
	default:
		return projectedPayload(ctx, pod, v.Projected, src)
	}
}

// getConfigMap fetches a ConfigMap; a missing one is an empty ConfigMap when
// optional, else the error the kubelet's ConfigMap manager gives,
// `configmap "name" not found`.
func getConfigMap(ctx context.Context, src Source, namespace, name string, optional bool) (*corev1.ConfigMap, error) {
	cm, err := src.ConfigMap(ctx, namespace, name)
	if (err == nil && cm == nil) || apierrors.IsNotFound(err) {
		if optional {
			return &corev1.ConfigMap{}, nil
		}
		return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "configmap"}, name)
	}
	return cm, err
}

// getSecret is getConfigMap for a Secret: `secret "name" not found`.
func getSecret(ctx context.Context, src Source, namespace, name string, optional bool) (*corev1.Secret, error) {
	s, err := src.Secret(ctx, namespace, name)
	if (err == nil && s == nil) || apierrors.IsNotFound(err) {
		if optional {
			return &corev1.Secret{}, nil
		}
		return nil, apierrors.NewNotFound(schema.GroupResource{Resource: "secret"}, name)
	}
	return s, err
}

// configMapPayload is every key of cm (data, then binaryData) under its own
// name, or only the keys items select under their paths; a selected key cm
// lacks is an error unless optional.
func configMapPayload(cm *corev1.ConfigMap, items []corev1.KeyToPath, defaultMode *int32, optional bool) (map[string]file, error) {
	def, err := fileMode(defaultMode, defaultFileMode)
	if err != nil {
		return nil, err
	}
	payload := map[string]file{}
	if len(items) == 0 {
		for k, d := range cm.Data {
			payload[k] = file{data: []byte(d), mode: def}
		}
		for k, d := range cm.BinaryData {
			payload[k] = file{data: d, mode: def}
		}
		return payload, nil
	}
	for _, it := range items {
		var data []byte
		if s, ok := cm.Data[it.Key]; ok {
			data = []byte(s)
		} else if b, ok := cm.BinaryData[it.Key]; ok {
			data = b
		} else if optional {
			continue
		} else {
			return nil, fmt.Errorf("configmap references non-existent config key: %s", it.Key)
		}
		mode, err := fileMode(it.Mode, def)
		if err != nil {
			return nil, err
		}
		payload[it.Path] = file{data: data, mode: mode}
	}
	return payload, nil
}

// secretPayload is configMapPayload for a Secret's data.
func secretPayload(s *corev1.Secret, items []corev1.KeyToPath, defaultMode *int32, optional bool) (map[string]file, error) {
	def, err := fileMode(defaultMode, defaultFileMode)
	if err != nil {
		return nil, err
	}
	payload := map[string]file{}
	if len(items) == 0 {
		for k, d := range s.Data {
			payload[k] = file{data: d, mode: def}
		}
		return payload, nil
	}
	for _, it := range items {
		data, ok := s.Data[it.Key]
		if !ok {
			if optional {
				continue
			}
			return nil, fmt.Errorf("references non-existent secret key: %s", it.Key)
		}
		mode, err := fileMode(it.Mode, def)
		if err != nil {
			return nil, err
		}
		payload[it.Path] = file{data: data, mode: mode}
	}
	return payload, nil
}

// downwardAPIPayload is a file per item with the text src gives for it.
// Like the kubelet, it reports every item it could not resolve at once.
func downwardAPIPayload(pod *corev1.Pod, items []corev1.DownwardAPIVolumeFile, defaultMode *int32, src Source) (map[string]file, error) {
	def, err := fileMode(defaultMode, defaultFileMode)
	if err != nil {
		return nil, err
	}
	payload := map[string]file{}
	var errs []error
	for _, it := range items {
		mode, err := fileMode(it.Mode, def)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		value, err := src.DownwardAPI(pod, it)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		payload[it.Path] = file{data: []byte(value), mode: mode}
	}
	return payload, utilerrors.NewAggregate(errs)
}

// projectedPayload merges the payload of each source in order, a later
// source's path replacing an earlier one's. As in the kubelet, a source
// that fails does not stop the others from being tried, and every failure
// is reported at once.
func projectedPayload(ctx context.Context, pod *corev1.Pod, p *corev1.ProjectedVolumeSource, src Source) (map[string]file, error) {
	def, err := fileMode(p.DefaultMode, defaultFileMode)
	if err != nil {
		return nil, err
	}
	defaultMode := int32(def)
	payload := map[string]file{}
	var errs []error
	for i, s := range p.Sources {
		var part map[string]file
		var err error
		switch {
		case s.ConfigMap != nil:
			optional := s.ConfigMap.Optional != nil && *s.ConfigMap.Optional
			var cm *corev1.ConfigMap
			if cm, err = getConfigMap(ctx, src, pod.Namespace, s.ConfigMap.Name, optional); err == nil {
				part, err = configMapPayload(cm, s.ConfigMap.Items, &defaultMode, optional)
			}
		case s.Secret != nil:
			optional := s.Secret.Optional != nil && *s.Secret.Optional
			var secret *corev1.Secret
			if secret, err = getSecret(ctx, src, pod.Namespace, s.Secret.Name, optional); err == nil {
				part, err = secretPayload(secret, s.Secret.Items, &defaultMode, optional)
			}
		case s.DownwardAPI != nil:
			part, err = downwardAPIPayload(pod, s.DownwardAPI.Items, &defaultMode, src)
		case s.ServiceAccountToken != nil:
			part, err = tokenPayload(ctx, pod, s.ServiceAccountToken, def, src)
		default:
			err = fmt.Errorf("projected source %d: only configMap, secret, downwardAPI and serviceAccountToken sources are supported", i)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for k, f := range part {
			payload[k] = f
		}
	}
	return payload, utilerrors.NewAggregate(errs)
}

// tokenPayload is the token file of a serviceAccountToken source, such as
// the one in the kube-api-access volume the API server adds to pods. The
// kubelet's token manager words its failure "failed to fetch token".
func tokenPayload(ctx context.Context, pod *corev1.Pod, s *corev1.ServiceAccountTokenProjection, mode fs.FileMode, src Source) (map[string]file, error) {
	exp := defaultExpirationSeconds
	if s.ExpirationSeconds != nil {
		exp = *s.ExpirationSeconds
	}
	token, err := src.ServiceAccountToken(ctx, pod, s.Audience, exp)
	if err != nil {
		return nil, fmt.Errorf("failed to fetch token: %w", err)
	}
	return map[string]file{s.Path: {data: []byte(token), mode: mode}}, nil
}

// fileMode is *m as a file mode, or def when m is nil. Modes outside
// 0..0777 are refused, as API validation refuses them, so no setuid or
// other special bit can be asked for.
func fileMode(m *int32, def fs.FileMode) (fs.FileMode, error) {
	if m == nil {
		return def, nil
	}
	if *m < 0 || *m > 0o777 {
		return 0, fmt.Errorf("invalid mode %#o: must be a number between 0 and 0777 (octal), both inclusive", *m)
	}
	return fs.FileMode(*m), nil
}
