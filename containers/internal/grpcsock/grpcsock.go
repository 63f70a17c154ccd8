// Package grpcsock connects to a container runtime's gRPC API on its
// local unix socket, as the containerd and CRI runtimes do.
package grpcsock

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/kestrel-sec/kestrel/containers"
)

// Path returns the socket's path, without a "unix://" prefix.
func Path(socket string) string { return strings.TrimPrefix(socket, "unix://") }

// Dial returns a client connection to the gRPC API on the unix socket
// path (which it does not contact yet), accepting replies up to maxMsg
// bytes. It returns an error wrapping [containers.ErrUnavailable] when the
// socket does not exist. api names the API in errors ("cri").
func Dial(api, path string, maxMsg int) (*grpc.ClientConn, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s %s: %w", api, path, containers.ErrUnavailable)
	}
	conn, err := grpc.NewClient("unix://"+path,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMsg)))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", api, path, err)
	}
	return conn, nil
}
