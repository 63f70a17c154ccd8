package state

import (
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/kestrel-sec/kestrel/scap"
)

// readFDs returns the open fds of process pid, typed by what their
// /proc/PID/fd link points to. An fd that closes while it is read is left
// out, and so is a socket of a family the /proc/net tables do not list.
func (r *procReader) readFDs(base string, pid int64) []scap.FD {
	d, err := os.Open(base + "/fd")
	if err != nil {
		return nil
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	var out []scap.FD
	var net sockTable
	for _, name := range names {
		n, err := strconv.ParseInt(name, 10, 64)
		if err != nil {
			continue
		}
		path := base + "/fd/" + name
		var st syscall.Stat_t
		if syscall.Stat(path, &st) != nil {
			continue
		}
		link := r.readlink(path)
		if link == "" {
			continue
		}
		fd := scap.FD{FD: n, Ino: st.Ino}
		switch st.Mode & syscall.S_IFMT {
		case syscall.S_IFIFO:
			fd.Type, fd.Name = scap.FDFifo, link
		case syscall.S_IFREG, syscall.S_IFBLK, syscall.S_IFCHR, syscall.S_IFLNK:
			fd.Type, fd.Name = scap.FDFileV2, link
			fd.OpenFlags = r.openFlags(base, name)
			fd.Dev, fd.HasDev = encodeDev(st.Dev), true
		case syscall.S_IFDIR:
			fd.Type, fd.Name = scap.FDDirectory, link
		case syscall.S_IFSOCK:
			if net == nil {
				net = r.sockets(base, r.readlink(base+"/ns/net"))
			}
			s, ok := socketFD(net, link)
			if !ok {
				continue
			}
			s.FD = n
			fd = s
		default:
			fd.Type = anonType(link)
		}
		out = append(out, fd)
	}
	return out
}

// socketFD returns the entry of a "socket:[ino]" link, or an unsupported
// fd for other links; ok is false for sockets the tables do not list.
func socketFD(t sockTable, link string) (scap.FD, bool) {
	s, ok := strings.CutPrefix(link, "socket:[")
	s, ok2 := strings.CutSuffix(s, "]")
	ino, err := strconv.ParseUint(s, 10, 64)
	if !ok || !ok2 || err != nil {
		return scap.FD{Type: scap.FDUnsupported, Name: link}, true
	}
	fd, found := t[ino]
	return fd, found
}

// anonType returns the fd type of an anonymous-inode link
// ("anon_inode:[eventfd]", "anon_inode:inotify", …).
func anonType(link string) uint8 {
	switch link {
	case "anon_inode:[eventfd]":
		return scap.FDEvent
	case "anon_inode:[signalfd]":
		return scap.FDSignalFD
	case "anon_inode:[eventpoll]":
		return scap.FDEventPoll
	case "anon_inode:inotify":
		return scap.FDInotify
	case "anon_inode:[timerfd]":
		return scap.FDTimerFD
	case "anon_inode:[io_uring]":
		return scap.FDIOUring
	case "anon_inode:[userfaultfd]":
		return scap.FDUserfaultFD
	case "anon_inode:[pidfd]":
		return scap.FDPidFD
	}
	if strings.HasPrefix(link, "anon_inode:[bpf") || strings.HasPrefix(link, "anon_inode:bpf") {
		return scap.FDBPF
	}
	return scap.FDUnsupported
}

// openFlags returns the PPM_O_* flags of a file fd, from the octal
// "flags:" line of /proc/PID/fdinfo/N.
func (r *procReader) openFlags(base, name string) uint32 {
	b, err := r.read(base+"/fdinfo/"+name, 256)
	if err != nil {
		return 0
	}
	v, ok := field(b, "flags")
	if !ok {
		return 0
	}
	f, ok := parseUint(v, 8)
	if !ok {
		return 0
	}
	return ppmOpenFlags(f)
}

// Linux open flags (x86 and most architectures) and their PPM_O_* values.
var openFlagMap = [...]struct{ linux, ppm uint64 }{
	{syscall.O_CREAT, 1 << 2},
	{syscall.O_APPEND, 1 << 3},
	{syscall.O_DSYNC, 1 << 4},
	{syscall.O_EXCL, 1 << 5},
	{syscall.O_NONBLOCK, 1 << 6},
	{syscall.O_SYNC, 1 << 7},
	{syscall.O_TRUNC, 1 << 8},
	{syscall.O_DIRECT, 1 << 9},
	{syscall.O_DIRECTORY, 1 << 10},
	{syscall.O_LARGEFILE, 1 << 11},
	{syscall.O_CLOEXEC, 1 << 12},
	{0o20000000 | syscall.O_DIRECTORY, 1 << 13}, // O_TMPFILE
}

// PPM_O_* access modes.
const (
	ppmORdonly = 1
	ppmOWronly = 2
	ppmORdwr   = 3
)

func ppmOpenFlags(f uint64) uint32 {
	var out uint64
	switch f & syscall.O_ACCMODE {
	case syscall.O_WRONLY:
		out = ppmOWronly
	case syscall.O_RDWR:
		out = ppmORdwr
	default:
		out = ppmORdonly
	}
	for _, m := range openFlagMap {
		if m.linux != 0 && f&m.linux == m.linux {
			out |= m.ppm
		}
	}
	return uint32(out)
}

// encodeDev turns a stat device number into the kernel's 32-bit encoding
// that events carry: minor's low byte, major, then minor's high bits.
func encodeDev(dev uint64) uint32 {
	major := (dev>>8)&0xfff | (dev>>32)&^0xfff
	minor := dev&0xff | (dev>>12)&^0xff
	return uint32(minor&0xff | major<<8 | (minor&^0xff)<<12)
}
