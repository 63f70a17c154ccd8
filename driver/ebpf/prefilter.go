package ebpf

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/kestrel-sec/kestrel/driver"
)

// The pre-filter's maps, as bpf/prefilter.h lays them out.
const (
	// Bits of the configuration word.
	pfOn = 1 << iota
	pfFailed
	pfWriteAll
	pfGen
	pfAnyPrefixes
	pfAnyNames
	pfWritePrefixes
	pfWriteNames
)

const (
	// Bits of a key's tag.
	pfTagWrite = 1
	pfTagGen   = 2

	// PrefilterPrefixMax is how many bytes of a prefix the kernel
	// compares: a longer prefix is cut to as many, and so holds more
	// paths than it says (every path it holds is still sent).
	PrefilterPrefixMax = 252
	// PrefilterNameMax is likewise how many bytes of a name the kernel
	// compares.
	PrefilterNameMax = 63
	// PrefilterMaxEntries bounds the prefixes, and separately the names,
	// of the Any and Write sets together.
	PrefilterMaxEntries = pfMaxEntries / 2

	pfMaxEntries     = 16384                      // PF_MAX_ENTRIES: both generations
	pfPrefixKeyBytes = 4 + 4 + PrefilterPrefixMax // struct pf_prefix_key
	pfPrefixTag      = 4                          // its tag's offset
	pfNameKeyBytes   = PrefilterNameMax + 1       // struct pf_name_key
	pfNameTag        = PrefilterNameMax
)

// pfTables is a [driver.Prefilter] as the probe's maps hold it, for
// either generation: the generation is set when the entries are written.
type pfTables struct {
	word     uint32   // the configuration word, generation 0
	prefixes [][]byte // keys of pf_prefixes
	names    [][]byte // keys of pf_names
}

// compilePrefilter checks a pre-filter and returns its map entries.
func compilePrefilter(pf driver.Prefilter) (*pfTables, error) {
	t := &pfTables{}
	o := pf.Open
	if o == nil {
		return t, nil
	}
	t.word = pfOn
	if o.Failed {
		t.word |= pfFailed
	}
	if o.WriteAll {
		t.word |= pfWriteAll
	}
	seen := map[string]bool{}
	add := func(tag byte, s driver.PathSet, what string, prefixBit, nameBit uint32) error {
		for _, p := range s.Prefixes {
			if !strings.HasPrefix(p, "/") || strings.IndexByte(p, 0) >= 0 {
				return fmt.Errorf("%s prefix %q: not an absolute path", what, p)
			}
			k := prefixKey(tag, p)
			if !seen[string(k)] {
				seen[string(k)] = true
				t.prefixes = append(t.prefixes, k)
			}
			t.word |= prefixBit
		}
		for _, n := range s.Names {
			if n == "" || strings.ContainsAny(n, "/\x00") {
				return fmt.Errorf("%s name %q: not a file name", what, n)
			}
			k := nameKey(tag, n)
			if !seen[string(k)] {
				seen[string(k)] = true
				t.names = append(t.names, k)
			}
			t.word |= nameBit
		}
		return nil
	}
	if err := add(0, o.Any, "any", pfAnyPrefixes, pfAnyNames); err != nil {
		return nil, err
	}
	// With WriteAll every write is sent before its path is looked at.
	if !o.WriteAll {
		if err := add(pfTagWrite, o.Write, "write", pfWritePrefixes, pfWriteNames); err != nil {
			return nil, err
		}
	}
	if len(t.prefixes) > PrefilterMaxEntries || len(t.names) > PrefilterMaxEntries {
		return nil, fmt.Errorf("%d prefixes and %d names: more than %d of either", len(t.prefixes), len(t.names), PrefilterMaxEntries)
	}
	return t, nil
}

// prefixKey is the LPM trie key of a prefix: the length in bits of the
// tag (a 32-bit word) and the path bytes kept, then the tag and the bytes.
func prefixKey(tag byte, p string) []byte {
	p = p[:min(len(p), PrefilterPrefixMax)]
	k := make([]byte, pfPrefixKeyBytes)
	binary.LittleEndian.PutUint32(k, uint32(32+8*len(p)))
	k[pfPrefixTag] = tag
	copy(k[8:], p)
	return k
}

// nameKey is the hash key of a name: the name, NUL-padded, and the tag.
func nameKey(tag byte, n string) []byte {
	k := make([]byte, pfNameKeyBytes)
	copy(k, n[:min(len(n), PrefilterNameMax)])
	k[pfNameTag] = tag
	return k
}
