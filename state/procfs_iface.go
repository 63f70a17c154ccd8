package state

import (
	"net"

	"github.com/kestrel-sec/kestrel/scap"
)

// hostInterfaces lists the interface addresses of the network namespace
// Kestrel runs in, as libscap lists them for a live capture (getifaddrs):
// every IPv4 address with its netmask and broadcast address, then every
// IPv6 address with its netmask, each family in interface order, link
// speeds unknown. An error of the system gives no interfaces.
func hostInterfaces() []scap.Interface {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var v4, v6 []scap.Interface
	for i := range ifs {
		it := &ifs[i]
		addrs, err := it.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			n, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			if ip := n.IP.To4(); ip != nil && len(n.Mask) == net.IPv4len {
				v4 = append(v4, ipv4Interface(it, ip, n.Mask))
			} else if ip := n.IP.To16(); ip != nil && len(n.Mask) == net.IPv6len {
				v6 = append(v6, scap.Interface{Type: scap.IfaceIPv6, Name: it.Name,
					Addr: []byte(ip), Netmask: []byte(n.Mask), Broadcast: make([]byte, net.IPv6len)})
			}
		}
	}
	return append(v4, v6...)
}

// ipv4Interface describes an IPv4 address of interface it; the broadcast
// address is the subnet's, on interfaces that broadcast (0 otherwise).
func ipv4Interface(it *net.Interface, ip net.IP, mask net.IPMask) scap.Interface {
	bcast := make([]byte, net.IPv4len)
	if it.Flags&net.FlagBroadcast != 0 {
		for i := range bcast {
			bcast[i] = ip[i] | ^mask[i]
		}
	}
	return scap.Interface{Type: scap.IfaceIPv4, Name: it.Name,
		Addr: []byte(ip), Netmask: []byte(mask), Broadcast: bcast}
}
