package state

import (
	"cmp"
	"slices"

	"github.com/kestrel-sec/kestrel/scap"
)

// Section returns the model as a capture section: the process list and
// one fd list per thread, as the model knows them now, so that a capture
// that starts here is readable on its own. The machine, interface, user
// and group blocks, which events do not change, are taken from base (nil:
// none). Threads the model learned of from their events alone, with no
// name, are left out: a reader learns of them again from their events.
// The thread that exited at the latest event and the fd its latest close
// removed, which the model drops at the next event, are left out too.
//
// Threads are in tid order and fds in fd order. The section shares no
// memory with the model.
func (s *State) Section(base *scap.Section) *scap.Section {
	sec := &scap.Section{Major: 1, Minor: 2}
	if base != nil {
		sec.Machine = base.Machine
		sec.Interfaces = base.Interfaces
		sec.Users, sec.Groups = base.Users, base.Groups
	}
	sec.Threads = make([]scap.Thread, 0, len(s.threads))
	for _, t := range s.threads {
		if t.Partial || t.TID == s.exited {
			continue
		}
		sec.Threads = append(sec.Threads, sectionThread(t))
	}
	slices.SortFunc(sec.Threads, func(a, b scap.Thread) int { return cmp.Compare(a.TID, b.TID) })
	sec.FDs = make([]scap.FDList, 0, len(sec.Threads))
	for i := range sec.Threads {
		t := s.threads[sec.Threads[i].TID]
		if t.fdt == nil || t.fdt.Len() == 0 {
			continue
		}
		sec.FDs = append(sec.FDs, scap.FDList{TID: t.TID, FDs: s.sectionFDs(t.fdt)})
	}
	return sec
}

// sectionThread converts a thread of the model to a process-list entry.
func sectionThread(t *Thread) scap.Thread {
	cwd := t.Cwd()
	if len(cwd) > 1 && cwd[len(cwd)-1] == '/' {
		cwd = cwd[:len(cwd)-1]
	}
	return scap.Thread{
		TID: t.TID, PID: t.PID, PTID: t.PTID,
		SID: t.SID, VPGID: t.VPGID, PGID: t.PGID,
		Comm: t.Comm, Exe: t.Exe, ExePath: t.ExePath,
		Args: slices.Clone(t.Args), Env: slices.Clone(t.Env), Cgroups: slices.Clone(t.Cgroups),
		Cwd: cwd, Root: t.Root,
		FDLimit: t.FDLimit, Flags: t.Flags, UID: t.UID, GID: t.GID,
		VMSize: t.VMSize, VMRSS: t.VMRSS, VMSwap: t.VMSwap,
		PFMajor: t.PFMajor, PFMinor: t.PFMinor,
		VTID: t.VTID, VPID: t.VPID,
		LoginUID: t.LoginUID, ExeWritable: t.ExeWritable,
		HasCaps:        true,
		CapInheritable: t.CapInheritable, CapPermitted: t.CapPermitted, CapEffective: t.CapEffective,
		PidnsInitStartTS: t.PidnsInitStartTS, TTY: t.TTY,
		ExeUpperLayer: t.ExeUpperLayer, ExeLowerLayer: t.ExeLowerLayer, ExeFromMemfd: t.ExeFromMemfd,
		ExeIno: t.ExeIno, ExeInoCtime: t.ExeInoCtime, ExeInoMtime: t.ExeInoMtime,
		CloneTS: t.CloneTS,
	}
}

// sectionFDs converts an fd table to fd-list entries, in fd order.
func (s *State) sectionFDs(t *FDTable) []scap.FD {
	fds := make([]scap.FD, 0, t.Len())
	t.Each(func(f *FD) {
		if t == s.closeT && f.Num == s.closeFD {
			return
		}
		fds = append(fds, sectionFD(f))
	})
	slices.SortFunc(fds, func(a, b scap.FD) int { return cmp.Compare(a.FD, b.FD) })
	return fds
}

// sectionFD converts an fd of the model to an fd-list entry, the inverse
// of fdFromSection: sockets give their ends, files their open flags and
// device, the other kinds their name.
func sectionFD(f *FD) scap.FD {
	out := scap.FD{FD: f.Num, Ino: f.Ino, Type: f.Type, Name: f.Name}
	switch f.Type {
	case scap.FDIPv4Sock, scap.FDIPv6Sock, scap.FDIPv4ServSock, scap.FDIPv6ServSock:
		out.Name = ""
		out.SrcIP, out.DstIP = slices.Clone(f.SrcAddr()), slices.Clone(f.DstAddr())
		out.SrcPort, out.DstPort = f.SrcPort, f.DstPort
		out.L4Proto = f.L4
	case scap.FDFile, scap.FDFileV2:
		out.Type = scap.FDFileV2
		out.OpenFlags, out.Dev, out.HasDev = f.Flags, f.Dev, true
	}
	return out
}
