package state

import (
	"bufio"
	"encoding/hex"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kestrel-sec/kestrel/scap"
)

// TestHostInterfaces: the live snapshot lists the host's interface
// addresses, IPv4 first, each IPv6 address of /proc/self/net/if_inet6
// with its prefix as netmask, and the loopback's 127.0.0.1/8 when the
// loopback has it.
func TestHostInterfaces(t *testing.T) {
	ifs := hostInterfaces()
	seenV6 := false
	for _, it := range ifs {
		switch {
		case it.Type == scap.IfaceIPv4 && len(it.Addr) == 4 && len(it.Netmask) == 4 && len(it.Broadcast) == 4:
			if seenV6 {
				t.Errorf("IPv4 address %v of %s after an IPv6 one", net.IP(it.Addr), it.Name)
			}
		case it.Type == scap.IfaceIPv6 && len(it.Addr) == 16 && len(it.Netmask) == 16:
			seenV6 = true
		default:
			t.Errorf("malformed interface entry %+v", it)
		}
	}
	for _, want := range procIPv6(t) {
		if !slices.ContainsFunc(ifs, func(it scap.Interface) bool {
			return it.Name == want.Name && net.IP(it.Addr).Equal(want.Addr) && slices.Equal(it.Netmask, want.Netmask)
		}) {
			t.Errorf("%s %v/%v of /proc/self/net/if_inet6 is not in the snapshot's interfaces", want.Name, net.IP(want.Addr), net.IPMask(want.Netmask))
		}
	}
	if lo, err := net.InterfaceByName("lo"); err == nil {
		if addrs, _ := lo.Addrs(); slices.ContainsFunc(addrs, func(a net.Addr) bool { return a.String() == "127.0.0.1/8" }) {
			if !slices.ContainsFunc(ifs, func(it scap.Interface) bool {
				return it.Name == "lo" && net.IP(it.Addr).Equal(net.IPv4(127, 0, 0, 1)) && net.IP(it.Netmask).Equal(net.IPv4(255, 0, 0, 0))
			}) {
				t.Errorf("127.0.0.1/8 of lo is not in the snapshot's interfaces: %+v", ifs)
			}
		}
	}
}

// procIPv6 reads the IPv6 addresses of /proc/self/net/if_inet6.
func procIPv6(t *testing.T) []scap.Interface {
	f, err := os.Open("/proc/self/net/if_inet6")
	if err != nil {
		t.Skipf("no IPv6 address list: %v", err)
	}
	defer f.Close()
	var out []scap.Interface
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		w := strings.Fields(sc.Text())
		if len(w) < 6 {
			continue
		}
		addr, err1 := hex.DecodeString(w[0])
		plen, err2 := strconv.ParseUint(w[2], 16, 8)
		if err1 != nil || err2 != nil || len(addr) != 16 {
			t.Fatalf("if_inet6 line %q", sc.Text())
		}
		out = append(out, scap.Interface{Name: w[5], Addr: addr, Netmask: net.CIDRMask(int(plen), 128)})
	}
	return out
}

// TestSnapshotInterfacesOption: the snapshot carries the interfaces
// unless told not to.
func TestSnapshotInterfacesOption(t *testing.T) {
	if len(hostInterfaces()) == 0 {
		t.Skip("no interface addresses in this network namespace")
	}
	root := t.TempDir()
	for _, no := range []bool{false, true} {
		sec, err := Snapshot(root, root, SnapshotOptions{NoInterfaces: no})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(sec.Interfaces) > 0; got == no {
			t.Errorf("NoInterfaces %v: %d interface entries", no, len(sec.Interfaces))
		}
	}
}
