package state

import (
	"bytes"
	"os"
	"strconv"
	"time"

	"github.com/kestrel-sec/kestrel/scap"
)

// machine returns the machine block: processors, memory, pid limit, host
// name and boot time, each from procfs (0 or "" when unreadable).
func (r *procReader) machine() *scap.Machine {
	m := &scap.Machine{BootTS: r.bootNS}
	if b, err := r.read(r.root+"/stat", 0); err == nil {
		for _, line := range bytes.Split(b, []byte{'\n'}) {
			if len(line) > 3 && string(line[:3]) == "cpu" && line[3] >= '0' && line[3] <= '9' {
				m.NumCPUs++
			}
		}
	}
	if b, err := r.read(r.root+"/meminfo", 0); err == nil {
		m.MemoryBytes = uint64(kib(b, "MemTotal")) * 1024
	}
	if b, err := r.read(r.root+"/sys/kernel/pid_max", 32); err == nil {
		m.MaxPID, _ = parseUint(bytes.TrimSpace(b), 10)
	}
	if b, err := r.read(r.root+"/sys/kernel/hostname", 256); err == nil {
		m.Hostname = string(bytes.TrimSpace(b))
	}
	return m
}

// bootTime returns when the machine booted, in ns since the epoch: now
// less the uptime of /proc/uptime (which has the 10 ms resolution of the
// start times it is added to), or btime of /proc/stat when that fails.
func (r *procReader) bootTime() uint64 {
	now := time.Now().UnixNano()
	if b, err := r.read(r.root+"/uptime", 128); err == nil {
		if w := words(b); len(w) > 0 {
			if up, err := strconv.ParseFloat(string(w[0]), 64); err == nil && up > 0 {
				return uint64(now - int64(up*1e9))
			}
		}
	}
	if b, err := r.read(r.root+"/stat", 0); err == nil {
		if v, ok := field(b, "btime"); ok {
			if s, ok := parseUint(v, 10); ok {
				return s * 1e9
			}
		}
	}
	return 0
}

// readUsers parses a passwd file (name:password:uid:gid:gecos:home:shell).
// A missing or unreadable file gives no users.
func readUsers(path string) []scap.User {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []scap.User
	for _, line := range bytes.Split(b, []byte{'\n'}) {
		f := bytes.Split(line, []byte{':'})
		if len(f) < 7 || len(line) == 0 || line[0] == '#' {
			continue
		}
		uid, ok1 := parseUint(f[2], 10)
		gid, ok2 := parseUint(f[3], 10)
		if !ok1 || !ok2 {
			continue
		}
		out = append(out, scap.User{UID: uint32(uid), GID: uint32(gid), Name: string(f[0]), Home: string(f[5]), Shell: string(f[6])})
	}
	return out
}

// readGroups parses a group file (name:password:gid:members).
func readGroups(path string) []scap.Group {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []scap.Group
	for _, line := range bytes.Split(b, []byte{'\n'}) {
		f := bytes.Split(line, []byte{':'})
		if len(f) < 3 || len(line) == 0 || line[0] == '#' {
			continue
		}
		gid, ok := parseUint(f[2], 10)
		if !ok {
			continue
		}
		out = append(out, scap.Group{GID: uint32(gid), Name: string(f[0])})
	}
	return out
}
