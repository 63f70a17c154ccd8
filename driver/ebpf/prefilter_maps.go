//go:build linux && amd64

package ebpf

import (
	"encoding/binary"
	"fmt"

	"github.com/cilium/ebpf"

	"github.com/kestrel-sec/kestrel/driver"
)

// SetPrefilter changes, while the probe runs, what it keeps in the kernel
// (see [driver.Prefilter]; the zero value sends every open). A prefix
// must be absolute; prefixes longer than [PrefilterPrefixMax] bytes and
// names longer than [PrefilterNameMax] are cut to as many, which only
// sends more. Each of the Any and Write sets together holds at most
// [PrefilterMaxEntries] prefixes and as many names.
//
// The kernel's maps have room for two generations of the sets: the new
// sets are written beside the ones in use, one write of the configuration
// word switches the switches and the generation together, and the old
// generation is emptied once every program that may have read the old
// word has ended. An open is judged by the old pre-filter or the new one,
// whole, never by a mix, so no open that either would send is dropped
// during the change. A change waits for an RCU grace period (a few ms).
func (p *Probe) SetPrefilter(pf driver.Prefilter) error {
	t, err := compilePrefilter(pf)
	if err != nil {
		return fmt.Errorf("pre-filter: %w", err)
	}
	return p.setPrefilter(t)
}

func (p *Probe) setPrefilter(t *pfTables) error {
	p.pfMu.Lock()
	defer p.pfMu.Unlock()
	gen := p.pfGen ^ 1
	if err := p.writeGeneration(t, gen); err != nil {
		return err
	}
	word := t.word
	if gen == 1 {
		word |= pfGen
	}
	if err := p.objs.PfConfig.Put(uint32(0), word); err != nil {
		return fmt.Errorf("pre-filter switches: %w", err)
	}
	p.pfGen = gen
	// The kernel returns from this update once the programs that may
	// have read the old word have ended.
	if err := p.objs.PfSync.Put(uint32(0), p.objs.PfConfig); err != nil {
		return fmt.Errorf("pre-filter: waiting for the probe's programs: %w", err)
	}
	return p.clearGeneration(gen ^ 1)
}

// genTag returns the tag bit of a generation.
func genTag(gen int) byte {
	if gen == 1 {
		return pfTagGen
	}
	return 0
}

// writeGeneration writes the sets of t as generation gen, which no
// program uses.
func (p *Probe) writeGeneration(t *pfTables, gen int) error {
	// Left over if a change failed half-way.
	if err := p.clearGeneration(gen); err != nil {
		return err
	}
	tag := genTag(gen)
	one := uint8(1)
	for _, k := range t.prefixes {
		k[pfPrefixTag] = k[pfPrefixTag]&^pfTagGen | tag
		if err := p.objs.PfPrefixes.Put(k, one); err != nil {
			return fmt.Errorf("pre-filter prefix %q: %w", k[8:4+binary.LittleEndian.Uint32(k)/8], err)
		}
	}
	for _, k := range t.names {
		k[pfNameTag] = k[pfNameTag]&^pfTagGen | tag
		if err := p.objs.PfNames.Put(k, one); err != nil {
			return fmt.Errorf("pre-filter name %q: %w", k[:pfNameTag], err)
		}
	}
	return nil
}

// clearGeneration empties the sets of generation gen.
func (p *Probe) clearGeneration(gen int) error {
	if err := clearTagged(p.objs.PfPrefixes, pfPrefixTag, genTag(gen)); err != nil {
		return fmt.Errorf("pre-filter prefixes: %w", err)
	}
	if err := clearTagged(p.objs.PfNames, pfNameTag, genTag(gen)); err != nil {
		return fmt.Errorf("pre-filter names: %w", err)
	}
	return nil
}

// clearTagged deletes the keys of m whose tag, the byte at tagAt, has
// the generation bit tag.
func clearTagged(m *ebpf.Map, tagAt int, tag byte) error {
	var stale [][]byte
	var k []byte
	var v uint8
	it := m.Iterate()
	for it.Next(&k, &v) {
		if k[tagAt]&pfTagGen == tag {
			stale = append(stale, append([]byte(nil), k...))
		}
	}
	if err := it.Err(); err != nil {
		return err
	}
	for _, k := range stale {
		if err := m.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// Prefiltered returns how many opens the pre-filter kept in the kernel,
// summed over the CPUs: events no rule can match, not losses (they are
// not in [driver.Stats.Dropped]).
func (p *Probe) Prefiltered() uint64 {
	var per []kernelDrops
	var n uint64
	if p.objs.DropMap != nil && p.objs.DropMap.Lookup(uint32(0), &per) == nil {
		for _, d := range per {
			n += d.Prefiltered
		}
	}
	return n
}
