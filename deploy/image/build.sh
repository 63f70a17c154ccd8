#!/bin/sh
# Build Kestrel's container image locally with podman, no registry:
# localhost/kestrel:VERSION and localhost/kestrel:latest.
#
#   deploy/image/build.sh                 # VERSION from git describe
#   VERSION=1.2.0 deploy/image/build.sh
#   IMAGE=registry.example.com/kestrel deploy/image/build.sh
#
# The binary is built on the host (CGO_ENABLED=0: static, so it runs in an
# image FROM scratch) and copied into the image by Containerfile. Set GO
# to use another go command, PODMAN another podman.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
GO=${GO:-go}
PODMAN=${PODMAN:-podman}
IMAGE=${IMAGE:-localhost/kestrel}

if [ -z "${VERSION:-}" ]; then
	VERSION=$(git -C "$root" describe --tags --always --dirty 2>/dev/null || echo dev)
fi
REVISION=$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)
CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ)

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
trap 'exit 1' INT TERM

(cd "$root" && CGO_ENABLED=0 "$GO" build -buildvcs=auto -trimpath -ldflags=-s -o "$ctx/kestrel" ./cmd/kestrel)

# The image has no libc: refuse a binary that would need one.
if command -v file >/dev/null 2>&1; then
	case $(file -b "$ctx/kestrel") in
	*"statically linked"*) ;;
	*) echo "build.sh: $ctx/kestrel is not statically linked" >&2; exit 1 ;;
	esac
fi

"$PODMAN" build --layers=false --file "$here/Containerfile" \
	--build-arg VERSION="$VERSION" --build-arg REVISION="$REVISION" --build-arg CREATED="$CREATED" \
	--tag "$IMAGE:$VERSION" --tag "$IMAGE:latest" "$ctx"

echo "$IMAGE:$VERSION"
