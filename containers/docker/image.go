package docker

import (
	"context"
	"strings"

	"github.com/moby/moby/client"

	"github.com/kestrel-sec/kestrel/containers"
	"github.com/kestrel-sec/kestrel/state"
)

// imageFields sets the image id, repository, tag and digest of k, whose
// Image is the name the container was created with and ref the engine's
// reference to the image (its id, "sha256:…"). The name gives the
// repository, tag and digest; the image's record gives what the name
// lacks: its digest (RepoDigests), its tag (RepoTags), all three when
// the container was created from the image's id, and the id when ref is
// a name.
func (c *Client) imageFields(ctx context.Context, k *state.Container, ref string) {
	k.ImageID = idOfRef(ref)
	if !namedByID(k.Image, ref) {
		k.ImageRepo, k.ImageTag, k.ImageDigest = containers.SplitImage(k.Image)
	}
	if k.ImageID != "" && k.ImageRepo != "" && k.ImageTag != "" && k.ImageDigest != "" {
		return
	}
	if ref == "" {
		ref = k.Image
	}
	img, err := c.image(ctx, ref)
	if err != nil {
		return
	}
	if k.ImageID == "" {
		k.ImageID = idOfRef(img.ID)
	}
	digestFromImage(k, img.RepoDigests)
	tagFromImage(k, img.RepoTags)
}

// image asks the engine for an image's record.
func (c *Client) image(ctx context.Context, ref string) (client.ImageInspectResult, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	return c.api.ImageInspect(ctx, ref)
}

// idOfRef returns the image id of an engine's image reference: the hex
// after "sha256:", or nothing when the reference is a name (it has a '/',
// as Podman's can).
func idOfRef(ref string) string {
	if ref == "" || strings.Contains(ref, "/") {
		return ""
	}
	_, id, ok := strings.Cut(ref, ":")
	if !ok {
		return ""
	}
	return id
}

// namedByID reports whether the container was created from its image's
// id (whole or a prefix, with or without "sha256:"), not a name.
func namedByID(name, ref string) bool {
	if name == "" {
		return true
	}
	id := idOfRef(ref)
	return (id != "" && strings.HasPrefix(id, name)) || strings.HasPrefix(ref, name)
}

// digestFromImage sets what k lacks of its repository and digest from
// the image's repository digests ("repo@sha256:…"): the digest of the
// first whose text holds the repository, or the only digest they have.
func digestFromImage(k *state.Container, repoDigests []string) {
	seen := make(map[string]bool)
	found := ""
	for _, rd := range repoDigests {
		repo, digest, ok := strings.Cut(rd, "@")
		if !ok {
			continue
		}
		seen[digest] = true
		if k.ImageRepo == "" {
			k.ImageRepo = repo
		}
		if strings.Contains(rd, k.ImageRepo) {
			found = digest
			break
		}
	}
	if found == "" && len(seen) == 1 {
		for d := range seen {
			found = d
		}
	}
	if k.ImageDigest == "" {
		k.ImageDigest = found
	}
}

// tagFromImage sets what k lacks of its repository and tag from the
// image's tags ("repo:tag"): the tag of the first whose text holds the
// repository.
func tagFromImage(k *state.Container, repoTags []string) {
	for _, rt := range repoTags {
		repo, tag, _ := containers.SplitImage(rt)
		if tag == "" {
			continue
		}
		if k.ImageRepo == "" {
			k.ImageRepo = repo
		}
		if strings.Contains(rt, k.ImageRepo) {
			if k.ImageTag == "" {
				k.ImageTag = tag
			}
			return
		}
	}
}
