package ebpf

// The probe is built with clang through bpf2go; the generated Go files and
// objects are committed so that building Kestrel needs Go alone.
//go:generate go run ./internal/gen -codes bpf/codes.h -syscalls ../../event/syscalls_x86_64.go
//go:generate go tool bpf2go -target amd64 -cc clang -cflags "-O2 -g -Wall -Werror -I/usr/include/x86_64-linux-gnu" -no-global-types probe bpf/probe.c
