# Kestrel: build, test and benchmark.
GO      ?= go
BIN     := bin/kestrel
PKGS    := ./...

.PHONY: all build test test-race test-deploy test-short generate check-generate check-ebpf bench fuzz vet clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/kestrel

# The whole test suite, as CI runs it: unit tests, the committed fuzz
# corpora, the differential tests against sysdig, and the generated-code check.
test: check-generate check-ebpf vet
	$(GO) test -count=1 $(PKGS)
	$(MAKE) test-race
	$(MAKE) test-deploy

# The sources other than syscall run on goroutines of their own, beside
# the syscall pipeline, sharing the engine and the outputs: their tests
# run under the race detector too.
test-race:
	$(GO) test -race -count=1 ./source/... ./output/...
	$(GO) test -race -count=1 -run 'TestSources' ./internal/app

# The container image, the DaemonSet manifest and the Helm chart: deploy/
# is a module of its own, so that Helm's and Kubernetes' modules stay out
# of Kestrel's.
test-deploy:
	cd deploy && $(GO) vet ./... && $(GO) test -count=1 ./...

vet:
	$(GO) vet $(PKGS)

generate:
	$(GO) generate ./event/...
	$(GO) generate ./driver/ebpf/...

# Regenerate the event tables and fail if the committed copy differs.
check-generate:
	$(GO) generate ./event/...
	git diff --exit-code -- event/tables_gen.go

# Rebuild the eBPF probe (clang, llvm and the libbpf headers) and its
# tables, and fail if the committed copies differ: the build is
# reproducible byte for byte.
EBPF_GEN := driver/ebpf/probe_x86_bpfel.o driver/ebpf/probe_x86_bpfel.go driver/ebpf/bpf/codes.h event/syscalls_x86_64.go
check-ebpf:
	$(GO) generate ./driver/ebpf/...
	git diff --exit-code -- $(EBPF_GEN)

# Go benchmarks, the side-by-side timing of kestrel read against sysdig,
# and the overhead of live capture on syscall-heavy workloads (root).
bench: build
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)
	./bench/read.sh
	./bench/churn.sh
	./bench/capture.sh

# Run each fuzz target for a while (FUZZTIME=1m by default).
FUZZTIME ?= 1m
fuzz:
	$(GO) test ./scap -run '^$$' -fuzz FuzzReader -fuzztime $(FUZZTIME) -fuzzminimizetime 5s
	$(GO) test ./event -run '^$$' -fuzz FuzzEventReset -fuzztime $(FUZZTIME) -fuzzminimizetime 5s
	$(GO) test ./filter -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) -fuzzminimizetime 5s
	$(GO) test ./filter -run '^$$' -fuzz FuzzCompile -fuzztime $(FUZZTIME) -fuzzminimizetime 5s
	$(GO) test ./rules -run '^$$' -fuzz FuzzLoad -fuzztime $(FUZZTIME) -fuzzminimizetime 5s
	$(GO) test ./internal/config -run '^$$' -fuzz 'FuzzLoad$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s
	$(GO) test ./internal/config -run '^$$' -fuzz FuzzLoadOverride -fuzztime $(FUZZTIME) -fuzzminimizetime 5s
	$(GO) test ./internal/config -run '^$$' -fuzz FuzzParseDuration -fuzztime $(FUZZTIME) -fuzzminimizetime 5s
	$(GO) test ./source/jsonsrc -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) -fuzzminimizetime 5s
	$(GO) test ./source/k8saudit -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME) -fuzzminimizetime 5s
	$(GO) test ./source/cloudtrail -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME) -fuzzminimizetime 5s
	$(GO) test ./source/cloudtrail -run '^$$' -fuzz FuzzParseNotification -fuzztime $(FUZZTIME) -fuzzminimizetime 5s
	$(GO) test ./source/okta -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME) -fuzzminimizetime 5s
	$(GO) test ./source/github -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME) -fuzzminimizetime 5s
	$(GO) test ./source/github -run '^$$' -fuzz FuzzWebhook -fuzztime $(FUZZTIME) -fuzzminimizetime 5s
	$(GO) test ./source/github -run '^$$' -fuzz FuzzPatch -fuzztime $(FUZZTIME) -fuzzminimizetime 5s

clean:
	rm -rf bin
