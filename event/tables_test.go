package event

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/kestrel-sec/kestrel/internal/testenv"
)

// TestTablesSourceIsShared checks that the generator's input is the
// verified table of the shared specification, unchanged.
func TestTablesSourceIsShared(t *testing.T) {
	shared, err := os.ReadFile(filepath.Join(testenv.SharedDir(t), "spec", "scap_tables.json"))
	if err != nil {
		testenv.Missing(t, "shared/spec/scap_tables.json")
	}
	ours, err := os.ReadFile(filepath.Join("internal", "gen", "scap_tables.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(shared, ours) {
		t.Fatal("event/internal/gen/scap_tables.json differs from shared/spec/scap_tables.json: copy it and run make generate")
	}
}

func TestTables(t *testing.T) {
	if n := len(Current().Events); n != 454 {
		t.Errorf("current table has %d codes, want 454", n)
	}
	if n := len(Legacy().Events); n != 336 {
		t.Errorf("legacy table has %d codes, want 336", n)
	}
	open := Legacy().Lookup(3)
	if open.Name != "open" || len(open.Params) != 5 || open.Params[2].Flags == nil || open.Params[2].Flags.Name != "file_flags" {
		t.Errorf("legacy open exit: %+v", open)
	}
	if Current().Lookup(454) != nil {
		t.Error("lookup beyond the table returned a schema")
	}
	if !Current().Lookup(324).Large() || Current().Lookup(3).Large() {
		t.Error("large-payload flags wrong")
	}
	if got := Current().Lookup(307).Params[2].DirFD; got != 1 {
		t.Errorf("openat exit name dirfd = %d, want 1", got)
	}
	if Legacy().SyscallName(1) != "restart_syscall" || TypeName(PTFSRelPath) != "FSRELPATH" {
		t.Error("names wrong")
	}
}
