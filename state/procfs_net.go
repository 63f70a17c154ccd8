package state

import (
	"bytes"
	"encoding/binary"

	"github.com/kestrel-sec/kestrel/scap"
)

// sockTable maps socket inodes to the fd entries /proc/PID/net describes.
type sockTable map[uint64]scap.FD

// sockets returns the sockets of the network namespace ns, reading the
// tables of the process at base the first time the namespace is seen.
func (r *procReader) sockets(base, ns string) sockTable {
	if t, ok := r.nets[ns]; ok {
		return t
	}
	t := make(sockTable)
	dir := base + "/net/"
	for _, f := range [...]struct {
		name string
		l4   uint8
	}{{"tcp", L4TCP}, {"udp", L4UDP}, {"raw", L4Raw}, {"tcp6", L4TCP}, {"udp6", L4UDP}, {"raw6", L4Raw}} {
		if b, err := r.read(dir+f.name, 0); err == nil {
			parseInet(t, b, f.l4)
		}
	}
	if b, err := r.read(dir+"unix", 0); err == nil {
		parseUnix(t, b)
	}
	if b, err := r.read(dir+"netlink", 0); err == nil {
		parseNetlink(t, b)
	}
	if ns != "" {
		r.nets[ns] = t
	}
	return t
}

// parseInet adds the sockets of a /proc/net/{tcp,udp,raw}[6] table. A
// socket with no remote address (listening, or bound and unconnected) is
// a server socket, named by its local address; others are named by their
// local and remote ends, in that order.
//
// Addresses are printed as the hexadecimal of 32-bit words in host byte
// order, which PutUint32 in native order turns back into network-order
// bytes; ports are plain hexadecimal.
func parseInet(t sockTable, b []byte, l4 uint8) {
	lines := bytes.Split(b, []byte{'\n'})
	for _, line := range lines[min(1, len(lines)):] {
		w := words(line)
		if len(w) < 10 {
			continue
		}
		sip, sport, ok1 := hexAddr(w[1])
		dip, dport, ok2 := hexAddr(w[2])
		ino, ok3 := parseUint(w[9], 10)
		if !ok1 || !ok2 || !ok3 || ino == 0 {
			continue
		}
		v6 := len(sip) == 16
		fd := scap.FD{Ino: ino, L4Proto: l4, SrcIP: sip, SrcPort: sport}
		switch {
		case allZero(dip) && v6:
			fd.Type = scap.FDIPv6ServSock
		case allZero(dip):
			fd.Type = scap.FDIPv4ServSock
		default:
			fd.Type = scap.FDIPv4Sock
			if v6 {
				fd.Type = scap.FDIPv6Sock
			}
			fd.DstIP, fd.DstPort = dip, dport
		}
		t[ino] = fd
	}
}

// hexAddr parses "0100007F:1F90" (IPv4) or 32 hex digits and a port (IPv6).
func hexAddr(b []byte) ([]byte, uint16, bool) {
	ip, port, ok := bytes.Cut(b, []byte{':'})
	if !ok || (len(ip) != 8 && len(ip) != 32) {
		return nil, 0, false
	}
	p, ok := parseUint(port, 16)
	if !ok {
		return nil, 0, false
	}
	out := make([]byte, len(ip)/2)
	for i := 0; i < len(ip); i += 8 {
		v, ok := parseUint(ip[i:i+8], 16)
		if !ok {
			return nil, 0, false
		}
		binary.NativeEndian.PutUint32(out[i/2:], uint32(v))
	}
	return out, uint16(p), true
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// parseUnix adds the sockets of /proc/net/unix: "Num RefCount Protocol
// Flags Type St Inode [Path]". Num, the kernel address of the socket, is
// the source id (zero when the kernel hides addresses); the path, when
// bound, is the name.
func parseUnix(t sockTable, b []byte) {
	lines := bytes.Split(b, []byte{'\n'})
	for _, line := range lines[min(1, len(lines)):] {
		w := words(line)
		if len(w) < 7 {
			continue
		}
		ino, ok := parseUint(w[6], 10)
		if !ok || ino == 0 {
			continue
		}
		src, _ := parseUint(bytes.TrimSuffix(w[0], []byte{':'}), 16)
		fd := scap.FD{Ino: ino, Type: scap.FDUnixSock, SrcID: src}
		if len(w) > 7 {
			fd.Name = string(w[7])
		}
		t[ino] = fd
	}
}

// parseNetlink adds the sockets of /proc/net/netlink, whose tenth column
// is the inode.
func parseNetlink(t sockTable, b []byte) {
	lines := bytes.Split(b, []byte{'\n'})
	for _, line := range lines[min(1, len(lines)):] {
		w := words(line)
		if len(w) < 10 {
			continue
		}
		if ino, ok := parseUint(w[9], 10); ok && ino != 0 {
			t[ino] = scap.FD{Ino: ino, Type: scap.FDNetlink}
		}
	}
}
