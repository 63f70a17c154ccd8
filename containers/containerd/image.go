package containerd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"

	contentapi "github.com/containerd/containerd/api/services/content/v1"
	imagesapi "github.com/containerd/containerd/api/services/images/v1"
)

// maxManifestSize bounds the manifests and indexes read for an image id.
const maxManifestSize = 4 << 20

// Media types of image manifests and indexes.
const (
	mediaOCIManifest    = "application/vnd.oci.image.manifest.v1+json"
	mediaDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	mediaOCIIndex       = "application/vnd.oci.image.index.v1+json"
	mediaDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
)

// manifest is the part of an image manifest or index the image id needs.
type manifest struct {
	Config struct {
		Digest string `json:"digest"`
	} `json:"config"`
	Manifests []struct {
		MediaType string `json:"mediaType"`
		Digest    string `json:"digest"`
		Platform  *struct {
			Architecture string `json:"architecture"`
			OS           string `json:"os"`
		} `json:"platform"`
	} `json:"manifests"`
}

// image returns the digest of image name in namespace ns (its target, as
// Falco reports it) and its image id (the hex digits of its config's
// digest). Either is empty when containerd does not have it.
func (r *Runtime) image(ctx context.Context, ns, name string) (digest, id string) {
	if name == "" {
		return "", ""
	}
	ctx = inNamespace(ctx, ns)
	resp, err := imagesapi.NewImagesClient(r.conn).Get(ctx, &imagesapi.GetImageRequest{Name: name})
	if err != nil {
		return "", ""
	}
	target := resp.GetImage().GetTarget()
	cfg, err := r.configDigest(ctx, target.GetMediaType(), target.GetDigest())
	if err != nil {
		return target.GetDigest(), ""
	}
	_, hex, _ := strings.Cut(cfg, ":")
	return target.GetDigest(), hex
}

// configDigest returns the digest of the config of the manifest
// (mediaType, digest), or of the manifest for this host's platform when
// it is an index.
func (r *Runtime) configDigest(ctx context.Context, mediaType, digest string) (string, error) {
	for range 2 {
		m, err := r.readManifest(ctx, digest)
		if err != nil {
			return "", err
		}
		switch mediaType {
		case mediaOCIManifest, mediaDockerManifest:
			return m.Config.Digest, nil
		case mediaOCIIndex, mediaDockerList:
			if mediaType, digest = m.platformManifest(); digest == "" {
				return "", errors.New("no manifest for this platform")
			}
		default:
			return "", fmt.Errorf("media type %q", mediaType)
		}
	}
	return "", errors.New("nested index")
}

// platformManifest returns the media type and digest of the index's
// manifest for this host's platform.
func (m *manifest) platformManifest() (mediaType, digest string) {
	for _, d := range m.Manifests {
		if p := d.Platform; p == nil || (p.OS == runtime.GOOS && p.Architecture == runtime.GOARCH) {
			return d.MediaType, d.Digest
		}
	}
	return "", ""
}

// readManifest reads and decodes the manifest or index of the given digest
// from containerd's content store.
func (r *Runtime) readManifest(ctx context.Context, digest string) (*manifest, error) {
	stream, err := contentapi.NewContentClient(r.conn).Read(ctx, &contentapi.ReadContentRequest{Digest: digest})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", digest, err)
	}
	var b bytes.Buffer
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", digest, err)
		}
		if b.Len()+len(resp.GetData()) > maxManifestSize {
			return nil, fmt.Errorf("read %s: larger than %d bytes", digest, maxManifestSize)
		}
		b.Write(resp.GetData())
	}
	var m manifest
	if err := json.Unmarshal(b.Bytes(), &m); err != nil {
		return nil, fmt.Errorf("decode %s: %w", digest, err)
	}
	return &m, nil
}
