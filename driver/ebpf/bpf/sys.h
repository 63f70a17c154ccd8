/* System-level calls: bpf, kernel modules, namespaces, capabilities,
 * prctl, userfaultfd and io_uring. */
#pragma once

#define PR_SET_NAME 15
#define PR_GET_NAME 16
#define PR_GET_CHILD_SUBREAPER 37

static __always_inline void bpf_exit(struct args *a, s64 ret)
{
	struct rec r;
	if (!rec_start(&r, PPME_SYSCALL_BPF_2_X, 2, a->tid))
		return;
	push_u64(&r, ret);
	push_u32(&r, a->a[0]);
	rec_send(&r);
}

static __always_inline void module_exit(u32 nr, struct args *a, s64 ret)
{
	struct rec r;
	switch (nr) {
	case __NR_init_module:
		if (!rec_start(&r, PPME_SYSCALL_INIT_MODULE_X, 4, a->tid))
			return;
		push_u64(&r, ret);
		push_data(&r, UPTR(a->a[0]), a->a[1]);
		push_u64(&r, a->a[1]);
		push_user_str(&r, UPTR(a->a[2]), MAX_PATH);
		break;
	case __NR_finit_module:
		if (!rec_start(&r, PPME_SYSCALL_FINIT_MODULE_X, 4, a->tid))
			return;
		push_u64(&r, ret);
		push_u64(&r, (s32)a->a[0]);
		push_user_str(&r, UPTR(a->a[1]), MAX_PATH);
		push_u32(&r, a->a[2] & 7);
		break;
	default: /* delete_module */
		if (!rec_start(&r, PPME_SYSCALL_DELETE_MODULE_X, 3, a->tid))
			return;
		push_u64(&r, ret);
		push_user_str(&r, UPTR(a->a[0]), 256);
		push_u32(&r, delete_module_flags(a->a[1]));
		break;
	}
	rec_send(&r);
}

static __always_inline void userfaultfd_exit(struct args *a, s64 ret)
{
	struct rec r;
	if (!rec_start(&r, PPME_SYSCALL_USERFAULTFD_X, 2, a->tid))
		return;
	push_u64(&r, ret);
	push_u32(&r, fd_create_flags((s32)a->a[0]));
	rec_send(&r);
}

/* prctl: the name for PR_SET_NAME and PR_GET_NAME, the value the
 * pointer holds for PR_GET_CHILD_SUBREAPER, the plain argument else. */
static __always_inline void prctl_exit(struct args *a, s64 ret)
{
	struct rec r;
	u32 opt = a->a[0];
	s64 arg = a->a[1];
	if (opt == PR_GET_CHILD_SUBREAPER) {
		s32 v = 0;
		if (ret == 0)
			bpf_probe_read_user(&v, sizeof(v), UPTR(a->a[1]));
		arg = v;
	}
	if (!rec_start(&r, PPME_SYSCALL_PRCTL_X, 4, a->tid))
		return;
	push_u64(&r, ret);
	push_u32(&r, opt);
	if (opt == PR_SET_NAME || (opt == PR_GET_NAME && ret == 0)) {
		push_user_str(&r, UPTR(a->a[1]), 16);
		arg = 0;
	} else {
		push_empty(&r);
	}
	push_u64(&r, arg);
	rec_send(&r);
}

static __always_inline void ns_exit(u32 nr, struct args *a, s64 ret)
{
	struct rec r;
	if (nr == __NR_setns) {
		if (!rec_start(&r, PPME_SYSCALL_SETNS_X, 3, a->tid))
			return;
		push_u64(&r, ret);
		push_u64(&r, (s32)a->a[0]);
		push_u32(&r, clone_flags(a->a[1]));
	} else { /* unshare */
		if (!rec_start(&r, PPME_SYSCALL_UNSHARE_X, 2, a->tid))
			return;
		push_u64(&r, ret);
		push_u32(&r, clone_flags(a->a[0]));
	}
	rec_send(&r);
}

/* capset: the capability sets the thread has after the call. */
static __always_inline void capset_exit(struct args *a, s64 ret)
{
	struct rec r;
	struct task_struct *t = bpf_get_current_task_btf();
	const struct cred *c = BPF_CORE_READ(t, cred);
	if (!rec_start(&r, PPME_SYSCALL_CAPSET_X, 4, a->tid))
		return;
	push_u64(&r, ret);
	push_u64(&r, BPF_CORE_READ(c, cap_inheritable.val));
	push_u64(&r, BPF_CORE_READ(c, cap_permitted.val));
	push_u64(&r, BPF_CORE_READ(c, cap_effective.val));
	rec_send(&r);
}

/* io_uring_setup: the parameters as the kernel returned them. */
static __always_inline void io_uring_setup_exit(struct args *a, s64 ret)
{
	struct rec r;
	struct io_uring_params p = {};
	if (bpf_probe_read_user(&p, sizeof(p), UPTR(a->a[1])) < 0)
		count_read_fail();
	if (!rec_start(&r, PPME_SYSCALL_IO_URING_SETUP_X, 8, a->tid))
		return;
	push_u64(&r, ret);
	push_u32(&r, a->a[0]);
	push_u32(&r, p.sq_entries);
	push_u32(&r, p.cq_entries);
	push_u32(&r, io_uring_setup_flags(p.flags));
	push_u32(&r, p.sq_thread_cpu);
	push_u32(&r, p.sq_thread_idle);
	push_u32(&r, p.features & 0x7ff);
	rec_send(&r);
}

/* setsid and setpgid move a process to a new session or process group
 * (proc.sid, proc.sname, proc.vpgid). */
static __always_inline void session_exit(u32 nr, struct args *a, s64 ret)
{
	struct rec r;
	if (nr == __NR_setsid) {
		if (!rec_start(&r, PPME_SYSCALL_SETSID_X, 1, a->tid))
			return;
		push_u64(&r, ret);
		rec_send(&r);
		return;
	}
	if (!rec_start(&r, PPME_SYSCALL_SETPGID_X, 3, a->tid))
		return;
	push_u64(&r, ret);
	push_u64(&r, (s32)a->a[0]);
	push_u64(&r, (s32)a->a[1]);
	rec_send(&r);
}
