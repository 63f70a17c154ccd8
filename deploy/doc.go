// Package deploy holds the tests of Kestrel's deployment files: the
// container image (image/), the Kubernetes manifest (kubernetes/) and the
// Helm chart (helm/kestrel/). It is a module of its own so that Helm's and
// Kubernetes' libraries, which only the tests use, stay out of the module
// that builds Kestrel.
//
//	cd deploy && go test -count=1 ./...
//
// Tests that need a tool (go, podman) skip when it is missing, and fail
// instead when CI=true.
package deploy
