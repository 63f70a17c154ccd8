/* Socket addresses (PT_SOCKADDR) and tuples (PT_SOCKTUPLE). */
#pragma once

#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define UNIX_PATH_MAX 108

/* push_sockaddr pushes the user sockaddr at p of len bytes. */
static __always_inline void push_sockaddr(struct rec *r, const void *p, u64 len)
{
	u16 fam = 0;
	if (!p || len < 2 || bpf_probe_read_user(&fam, 2, p) < 0) {
		if (p && len >= 2)
			count_read_fail();
		push_empty(r);
		return;
	}
	u8 *d = at(r);
	switch (fam) {
	case AF_INET: {
		struct sockaddr_in sin = {};
		if (len < sizeof(sin) || bpf_probe_read_user(&sin, sizeof(sin), p) < 0)
			break;
		d[0] = AF_INET;
		__builtin_memcpy(&d[1], &sin.sin_addr.s_addr, 4);
		u16 port = bpf_ntohs(sin.sin_port);
		__builtin_memcpy(&d[5], &port, 2);
		done(r, 7);
		return;
	}
	case AF_INET6: {
		struct sockaddr_in6 sin6 = {};
		if (len < sizeof(sin6) || bpf_probe_read_user(&sin6, sizeof(sin6), p) < 0)
			break;
		d[0] = AF_INET6;
		__builtin_memcpy(&d[1], &sin6.sin6_addr, 16);
		u16 port = bpf_ntohs(sin6.sin6_port);
		__builtin_memcpy(&d[17], &port, 2);
		done(r, 19);
		return;
	}
	case AF_UNIX: {
		d[0] = AF_UNIX;
		char first = 0;
		bpf_probe_read_user(&first, 1, p + 2);
		const void *path = p + 2 + (first == 0 ? 1 : 0); /* abstract: drop the NUL */
		long n = bpf_probe_read_user_str(&d[1], UNIX_PATH_MAX, path);
		if (n < 0)
			n = 0;
		if (n == 0) { /* keep the terminator */
			d[1] = 0;
			n = 1;
		}
		done(r, 1 + n);
		return;
	}
	default:
		d[0] = fam;
		done(r, 1);
		return;
	}
	push_empty(r);
}

static __always_inline struct sock *file_sock(struct file *f)
{
	if (!f)
		return NULL;
	struct socket *s = BPF_CORE_READ(f, private_data);
	if (!s)
		return NULL;
	return BPF_CORE_READ(s, sk);
}

/* push_tuple pushes the tuple of socket sk: local -> remote, or with
 * inbound set remote -> local. */
static __always_inline void push_tuple(struct rec *r, struct sock *sk, int inbound)
{
	if (!sk) {
		push_empty(r);
		return;
	}
	u16 fam = BPF_CORE_READ(sk, __sk_common.skc_family);
	u8 *d = at(r);
	switch (fam) {
	case AF_INET: {
		u32 la = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		u32 ra = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		u16 lp = BPF_CORE_READ(sk, __sk_common.skc_num);
		u16 rp = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
		d[0] = AF_INET;
		if (inbound) {
			__builtin_memcpy(&d[1], &ra, 4);
			__builtin_memcpy(&d[5], &rp, 2);
			__builtin_memcpy(&d[7], &la, 4);
			__builtin_memcpy(&d[11], &lp, 2);
		} else {
			__builtin_memcpy(&d[1], &la, 4);
			__builtin_memcpy(&d[5], &lp, 2);
			__builtin_memcpy(&d[7], &ra, 4);
			__builtin_memcpy(&d[11], &rp, 2);
		}
		done(r, 13);
		return;
	}
	case AF_INET6: {
		struct in6_addr la = BPF_CORE_READ(sk, __sk_common.skc_v6_rcv_saddr);
		struct in6_addr ra = BPF_CORE_READ(sk, __sk_common.skc_v6_daddr);
		u16 lp = BPF_CORE_READ(sk, __sk_common.skc_num);
		u16 rp = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
		d[0] = AF_INET6;
		if (inbound) {
			__builtin_memcpy(&d[1], &ra, 16);
			__builtin_memcpy(&d[17], &rp, 2);
			__builtin_memcpy(&d[19], &la, 16);
			__builtin_memcpy(&d[35], &lp, 2);
		} else {
			__builtin_memcpy(&d[1], &la, 16);
			__builtin_memcpy(&d[17], &lp, 2);
			__builtin_memcpy(&d[19], &ra, 16);
			__builtin_memcpy(&d[35], &rp, 2);
		}
		done(r, 37);
		return;
	}
	case AF_UNIX: {
		/* As the Falco drivers do, both ends of a connection give the
		 * same pair: outbound calls (connect, send) put the peer
		 * first, inbound ones (accept, receive) the socket itself. The
		 * path is the bound name of the end put first, or else of the
		 * other end. */
		struct sock *peer = BPF_CORE_READ((struct unix_sock *)sk, peer);
		struct sock *lead = inbound ? sk : peer, *other = inbound ? peer : sk;
		u64 src = (u64)lead, dst = (u64)other;
		d[0] = AF_UNIX;
		__builtin_memcpy(&d[1], &src, 8);
		__builtin_memcpy(&d[9], &dst, 8);
		struct unix_address *ua = NULL;
		if (lead)
			ua = BPF_CORE_READ((struct unix_sock *)lead, addr);
		if (!ua && other)
			ua = BPF_CORE_READ((struct unix_sock *)other, addr);
		long n = 0;
		if (ua) {
			int alen = BPF_CORE_READ(ua, len);
			char *path = (char *)ua->name[0].sun_path;
			char first = 0;
			bpf_probe_read_kernel(&first, 1, path);
			if (first == 0 && alen > 2)
				path++;
			n = bpf_probe_read_kernel_str(&d[17], UNIX_PATH_MAX, path);
		}
		if (n <= 0) {
			d[17] = 0;
			n = 1;
		}
		done(r, 17 + n);
		return;
	}
	}
	d[0] = fam;
	done(r, 1);
}
