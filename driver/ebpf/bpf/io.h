/* Reads, writes, messages and pipes. I/O data is kept up to the snaplen
 * user space sets, nothing by default. */
#pragma once

#define MAX_IOVS 16
#define MAX_CONTROL 1024

/* data_len is how much of n bytes of I/O data a record keeps. */
static __always_inline u32 data_len(s64 n)
{
	u32 max = snaplen < MAX_SNAPLEN ? snaplen : MAX_SNAPLEN;
	if (n <= 0)
		return 0;
	return n < max ? n : max;
}

/* push_data pushes the first data_len(n) bytes of the user buffer p. */
static __always_inline void push_data(struct rec *r, const void *p, s64 n)
{
	u32 len = data_len(n);
	if (!p || !len) {
		push_empty(r);
		return;
	}
	len &= MAX_VALUE - 1;
	if (bpf_probe_read_user(at(r), len, p) < 0) {
		count_read_fail();
		len = 0;
	}
	done(r, len);
}

/* iov_ref is the bpf_loop context of push_iov. */
struct iov_ref {
	struct rec *r;
	const struct iovec *iov;
	u64 cnt;
	u64 total;
	u32 room;
	u32 w;
};

static long iov_step(u32 i, void *ctx)
{
	struct iov_ref *ref = ctx;
	struct iovec v = {};
	if (i >= ref->cnt || bpf_probe_read_user(&v, sizeof(v), &ref->iov[i & (MAX_IOVS - 1)]) < 0)
		return 1;
	ref->total += v.iov_len;
	u32 w = ref->w, room = ref->room;
	if (w < room && w < MAX_SNAPLEN) {
		u32 k = v.iov_len < room - w ? v.iov_len : room - w;
		struct rec *r = ref->r;
		if (bpf_probe_read_user(&r->buf[(r->off + w) & OFF_MASK], k & (MAX_VALUE - 1), v.iov_base) == 0)
			ref->w = w + k;
	}
	return 0;
}

/* push_iov pushes the data of an iovec array, up to data_len(n) bytes in
 * all, and returns the sum of the lengths of its first MAX_IOVS entries. */
static __always_inline u64 push_iov(struct rec *r, const struct iovec *iov, u64 cnt, s64 n)
{
	struct iov_ref ref = {.r = r, .iov = iov, .cnt = cnt, .room = data_len(n)};
	bpf_loop(MAX_IOVS, iov_step, &ref, 0);
	done(r, ref.w & (MAX_VALUE - 1));
	return ref.total;
}

static __always_inline void rw_exit(u32 nr, struct args *a, s64 ret)
{
	struct rec r;
	u16 type;
	u32 n = 4;
	switch (nr) {
	case __NR_read: type = PPME_SYSCALL_READ_X; break;
	case __NR_write: type = PPME_SYSCALL_WRITE_X; break;
	case __NR_pread64: type = PPME_SYSCALL_PREAD_X, n = 5; break;
	default: type = PPME_SYSCALL_PWRITE_X, n = 5; break;
	}
	if (!rec_start(&r, type, n, a->tid))
		return;
	push_u64(&r, ret);
	push_data(&r, UPTR(a->a[1]), ret);
	push_u64(&r, (s32)a->a[0]);
	push_u32(&r, a->a[2]);
	if (n == 5)
		push_u64(&r, a->a[3]);
	rec_send(&r);
}

static __always_inline void pipe_exit(u32 nr, struct args *a, s64 ret)
{
	struct rec r;
	s32 fds[2] = {-1, -1};
	u64 ino = 0;
	u32 dev;
	if (ret == 0) {
		if (bpf_probe_read_user(fds, sizeof(fds), UPTR(a->a[0])) < 0)
			count_read_fail();
		file_dev_ino(fd_file(bpf_get_current_task_btf(), fds[0]), &dev, &ino);
	}
	int is_pipe2 = nr == __NR_pipe2;
	if (!rec_start(&r, is_pipe2 ? PPME_SYSCALL_PIPE2_X : PPME_SYSCALL_PIPE_X, is_pipe2 ? 5 : 4, a->tid))
		return;
	push_u64(&r, ret);
	push_u64(&r, fds[0]);
	push_u64(&r, fds[1]);
	push_u64(&r, ino);
	if (is_pipe2)
		push_u32(&r, fd_create_flags((s32)a->a[1]));
	rec_send(&r);
}

static __always_inline void fcntl_exit(struct args *a, s64 ret)
{
	struct rec r;
	if (!rec_start(&r, PPME_SYSCALL_FCNTL_X, 4, a->tid))
		return;
	push_u64(&r, ret);
	push_u64(&r, (s32)a->a[0]);
	push_u8(&r, fcntl_cmd(a->a[1]));
	push_u64(&r, a->a[2]);
	rec_send(&r);
}

/* push_msg_tuple pushes the tuple of socket fd; an IP socket without a
 * peer (unconnected UDP) takes the user address ua as the remote end. */
static __always_inline void push_msg_tuple(struct rec *r, s64 fd, int inbound, const void *ua, u64 ulen)
{
	struct sock *sk = file_sock(fd_file(bpf_get_current_task_btf(), fd));
	if (!sk) {
		push_empty(r);
		return;
	}
	u16 fam = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (!ua || ulen < 2 || BPF_CORE_READ(sk, __sk_common.skc_dport) != 0 || (fam != AF_INET && fam != AF_INET6)) {
		push_tuple(r, sk, inbound);
		return;
	}
	u8 *d = at(r);
	u16 lp = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (fam == AF_INET) {
		struct sockaddr_in sin = {};
		if (ulen < sizeof(sin) || bpf_probe_read_user(&sin, sizeof(sin), ua) < 0 || sin.sin_family != AF_INET) {
			push_tuple(r, sk, inbound);
			return;
		}
		u32 la = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		u16 rp = bpf_ntohs(sin.sin_port);
		d[0] = AF_INET;
		if (inbound) {
			__builtin_memcpy(&d[1], &sin.sin_addr.s_addr, 4);
			__builtin_memcpy(&d[5], &rp, 2);
			__builtin_memcpy(&d[7], &la, 4);
			__builtin_memcpy(&d[11], &lp, 2);
		} else {
			__builtin_memcpy(&d[1], &la, 4);
			__builtin_memcpy(&d[5], &lp, 2);
			__builtin_memcpy(&d[7], &sin.sin_addr.s_addr, 4);
			__builtin_memcpy(&d[11], &rp, 2);
		}
		done(r, 13);
		return;
	}
	struct sockaddr_in6 sin6 = {};
	if (ulen < sizeof(sin6) || bpf_probe_read_user(&sin6, sizeof(sin6), ua) < 0 || sin6.sin6_family != AF_INET6) {
		push_tuple(r, sk, inbound);
		return;
	}
	struct in6_addr la = BPF_CORE_READ(sk, __sk_common.skc_v6_rcv_saddr);
	u16 rp = bpf_ntohs(sin6.sin6_port);
	d[0] = AF_INET6;
	if (inbound) {
		__builtin_memcpy(&d[1], &sin6.sin6_addr, 16);
		__builtin_memcpy(&d[17], &rp, 2);
		__builtin_memcpy(&d[19], &la, 16);
		__builtin_memcpy(&d[35], &lp, 2);
	} else {
		__builtin_memcpy(&d[1], &la, 16);
		__builtin_memcpy(&d[17], &lp, 2);
		__builtin_memcpy(&d[19], &sin6.sin6_addr, 16);
		__builtin_memcpy(&d[35], &rp, 2);
	}
	done(r, 37);
}

static __always_inline void sendto_exit(struct args *a, s64 ret)
{
	struct rec r;
	if (!rec_start(&r, PPME_SOCKET_SENDTO_X, 5, a->tid))
		return;
	s64 fd = (s32)a->a[0];
	push_u64(&r, ret);
	push_data(&r, UPTR(a->a[1]), ret);
	push_u64(&r, fd);
	push_u32(&r, a->a[2]);
	push_msg_tuple(&r, fd, 0, UPTR(a->a[4]), (u32)a->a[5]);
	rec_send(&r);
}

static __always_inline void recvfrom_exit(struct args *a, s64 ret)
{
	struct rec r;
	u32 alen = 0;
	if (ret >= 0 && a->a[5])
		bpf_probe_read_user(&alen, sizeof(alen), UPTR(a->a[5]));
	if (!rec_start(&r, PPME_SOCKET_RECVFROM_X, 5, a->tid))
		return;
	s64 fd = (s32)a->a[0];
	push_u64(&r, ret);
	push_data(&r, UPTR(a->a[1]), ret);
	if (ret >= 0)
		push_msg_tuple(&r, fd, 1, UPTR(a->a[4]), alen);
	else
		push_empty(&r);
	push_u64(&r, fd);
	push_u32(&r, a->a[2]);
	rec_send(&r);
}

static __always_inline void sendmsg_exit(struct args *a, s64 ret)
{
	struct rec r;
	struct user_msghdr mh = {};
	if (bpf_probe_read_user(&mh, sizeof(mh), UPTR(a->a[1])) < 0)
		count_read_fail();
	if (!rec_start(&r, PPME_SOCKET_SENDMSG_X, 5, a->tid))
		return;
	s64 fd = (s32)a->a[0];
	push_u64(&r, ret);
	u64 size = push_iov(&r, mh.msg_iov, mh.msg_iovlen, ret);
	push_u64(&r, fd);
	push_u32(&r, size);
	push_msg_tuple(&r, fd, 0, mh.msg_name, (u32)mh.msg_namelen);
	rec_send(&r);
}

static __always_inline void recvmsg_exit(struct args *a, s64 ret)
{
	struct rec r;
	struct user_msghdr mh = {};
	if (bpf_probe_read_user(&mh, sizeof(mh), UPTR(a->a[1])) < 0)
		count_read_fail();
	if (!rec_start(&r, PPME_SOCKET_RECVMSG_X, 6, a->tid))
		return;
	s64 fd = (s32)a->a[0];
	push_u64(&r, ret);
	push_u32(&r, ret > 0 ? ret : 0);
	push_iov(&r, mh.msg_iov, mh.msg_iovlen, ret);
	if (ret >= 0)
		push_msg_tuple(&r, fd, 1, mh.msg_name, (u32)mh.msg_namelen);
	else
		push_empty(&r);
	u64 clen = 0;
	if (ret >= 0 && mh.msg_control)
		clen = mh.msg_controllen < MAX_CONTROL ? mh.msg_controllen : MAX_CONTROL;
	push_user_bytes(&r, mh.msg_control, clen);
	push_u64(&r, fd);
	rec_send(&r);
}
