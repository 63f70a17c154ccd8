package containers

import "strings"

// SplitImage splits an image reference as the runtimes report it into
// the repository, tag and digest that container.image.repository,
// container.image.tag and container.image.digest print, the way Falco
// splits it: the repository keeps the registry ("localhost/busybox" of
// "localhost/busybox:test"); the tag follows the first ':' after the
// first '/'; the digest ("sha256:…") follows '@'. Nothing is normalized:
// "nginx" has the repository "nginx" and no tag.
func SplitImage(image string) (repo, tag, digest string) {
	prefix, rest := "", image
	if i := strings.IndexByte(image, '/'); i >= 0 {
		prefix, rest = image[:i+1], image[i+1:]
	}
	if i := strings.IndexByte(rest, '@'); i >= 0 {
		rest, digest = rest[:i], rest[i+1:]
	}
	if i := strings.IndexByte(rest, ':'); i >= 0 {
		rest, tag = rest[:i], rest[i+1:]
	}
	return prefix + rest, tag, digest
}

// ShortID returns the id the model reports for a full id: its first 12
// characters.
func ShortID(full string) string {
	if len(full) > 12 {
		return full[:12]
	}
	return full
}
