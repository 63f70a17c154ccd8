// SPDX-License-Identifier: (MIT OR GPL-2.0)
/* Kestrel's system-call probe.
 *
 * Every selected syscall is reported once, at its exit, as one record in
 * the scap encoding with the current event schemas (the exit event carries
 * all the parameters). execve images are reported from sched_process_exec,
 * thread ends from sched_process_exit, and processes that kernel threads
 * start from sched_process_fork.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <asm/unistd.h>

#include "record.h"
#include "task.h"
#include "flags.h"
#include "net.h"
#include "path.h"
#include "prefilter.h"
#include "codes.h"
#include "args.h"
#include "proc.h"
#include "fs.h"
#include "mem.h"
#include "io.h"
#include "sys.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define NR_SYSCALLS 512
#define TS_COMPAT 0x2
#define PF_KTHREAD 0x00200000

/* Which native syscalls are reported (non-zero: yes). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NR_SYSCALLS);
	__type(key, u32);
	__type(value, u8);
} selected SEC(".maps");

/* PPM_SC code of each native syscall, for generic events. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NR_SYSCALLS);
	__type(key, u32);
	__type(value, u16);
} ppm_sc SEC(".maps");

static __always_inline int is_selected(u32 nr)
{
	u8 *on = bpf_map_lookup_elem(&selected, &nr);
	return on && *on;
}

static __always_inline int excluded(void)
{
	return own_tgid && (bpf_get_current_pid_tgid() >> 32) == own_tgid;
}

/* ---- process attributes shared by clone and execve ---- */

static __always_inline void push_exe_args(struct rec *r, struct task_struct *t)
{
	struct mm_struct *mm = BPF_CORE_READ(t, mm);
	if (!mm) {
		push_empty(r);
		push_empty(r);
		return;
	}
	unsigned long a = BPF_CORE_READ(mm, arg_start);
	unsigned long e = BPF_CORE_READ(mm, arg_end);
	long n = push_user_str(r, UPTR(a), MAX_PATH);
	if (n <= 0 || a + n >= e) {
		push_empty(r);
		return;
	}
	push_user_bytes(r, UPTR(a + n), e - a - n);
}

static __always_inline void push_env(struct rec *r, struct task_struct *t)
{
	struct mm_struct *mm = BPF_CORE_READ(t, mm);
	if (!mm) {
		push_empty(r);
		return;
	}
	unsigned long a = BPF_CORE_READ(mm, env_start);
	unsigned long e = BPF_CORE_READ(mm, env_end);
	push_user_bytes(r, UPTR(a), e > a ? e - a : 0);
}

static __always_inline s64 ptid_of(struct task_struct *t)
{
	return BPF_CORE_READ(t, real_parent, pid);
}

static __always_inline void push_ids(struct rec *r, struct task_struct *t)
{
	push_u64(r, BPF_CORE_READ(t, pid));  /* tid */
	push_u64(r, BPF_CORE_READ(t, tgid)); /* pid */
	push_u64(r, ptid_of(t));             /* ptid */
}

static __always_inline void push_mem(struct rec *r, struct task_struct *t)
{
	push_u64(r, BPF_CORE_READ(t, signal, rlim[RLIMIT_NOFILE].rlim_cur)); /* fdlimit */
	push_u64(r, BPF_CORE_READ(t, maj_flt));
	push_u64(r, BPF_CORE_READ(t, min_flt));
	struct mm_struct *mm = BPF_CORE_READ(t, mm);
	push_u32(r, vm_size_kb(mm));
	push_rss_swap(r, mm);
}

static __always_inline void push_comm(struct rec *r, struct task_struct *t)
{
	push_kernel_str(r, &t->comm, 16);
}

/* ---- clone family ---- */

static __always_inline void emit_clone(u16 type, struct task_struct *t, s64 res, u32 flags)
{
	struct rec r;
	if (!rec_start(&r, type, 21, BPF_CORE_READ(t, pid)))
		return;
	push_u64(&r, res);
	push_exe_args(&r, t);
	push_ids(&r, t);
	push_cwd(&r, t);
	push_mem(&r, t);
	push_comm(&r, t);
	push_cgroups(&r, t);
	if (res == 0 && in_child_pidns(t))
		flags |= 0x20000000; /* CLONE_CHILD_IN_PIDNS */
	push_u32(&r, flags);
	push_u32(&r, BPF_CORE_READ(t, cred, euid.val));
	push_u32(&r, BPF_CORE_READ(t, cred, egid.val));
	push_u64(&r, vnr(BPF_CORE_READ(t, thread_pid)));
	push_u64(&r, vnr(BPF_CORE_READ(t, group_leader, thread_pid)));
	push_u64(&r, res == 0 ? pidns_init_start(t) : 0);
	rec_send(&r);
}

/* PPM clone flags of what a task may share with its creator. */
#define PPM_CL_CLONE_FILES   0x1
#define PPM_CL_CLONE_FS      0x2
#define PPM_CL_CLONE_SIGHAND 0x800
#define PPM_CL_CLONE_THREAD  0x2000
#define PPM_CL_CLONE_VM      0x8000

/* child_sharing sets, in the flags of a clone3 child's record, what the
 * child task shares, read from the task rather than from the clone_args
 * in user memory: the child reads those at its own exit, after its
 * creator may have reused them (glibc keeps them on the creating
 * thread's stack), which left threads without CLONE_THREAD. A thread is
 * compared with its group leader, a process with its parent. */
static __always_inline u32 child_sharing(struct task_struct *t, u32 flags)
{
	flags &= ~(PPM_CL_CLONE_FILES | PPM_CL_CLONE_FS | PPM_CL_CLONE_SIGHAND | PPM_CL_CLONE_THREAD | PPM_CL_CLONE_VM);
	struct task_struct *ref = t->real_parent;
	if (t->pid != t->tgid) {
		flags |= PPM_CL_CLONE_THREAD;
		ref = t->group_leader;
	}
	if (!ref)
		return flags;
	if (t->files == ref->files)
		flags |= PPM_CL_CLONE_FILES;
	if (t->fs == ref->fs)
		flags |= PPM_CL_CLONE_FS;
	if (t->sighand == ref->sighand)
		flags |= PPM_CL_CLONE_SIGHAND;
	if (t->mm == ref->mm)
		flags |= PPM_CL_CLONE_VM;
	return flags;
}

static __always_inline void clone_exit(u32 nr, struct args *a, s64 ret)
{
	u16 type;
	u32 flags = 0;
	switch (nr) {
	case __NR_clone:
		type = PPME_SYSCALL_CLONE_20_X;
		flags = clone_flags(a->a[0]);
		break;
	case __NR_clone3: {
		type = PPME_SYSCALL_CLONE3_X;
		u64 f = 0;
		if (bpf_probe_read_user(&f, sizeof(f), UPTR(a->a[0])) < 0)
			count_read_fail();
		flags = clone_flags(f);
		if (ret == 0)
			flags = child_sharing(bpf_get_current_task_btf(), flags);
		break;
	}
	case __NR_fork:
		type = PPME_SYSCALL_FORK_20_X;
		break;
	default:
		type = PPME_SYSCALL_VFORK_20_X;
		flags = clone_flags(0x00004000 | 0x00000100); /* CLONE_VFORK | CLONE_VM */
		break;
	}
	emit_clone(type, bpf_get_current_task_btf(), ret, flags);
}

/* ---- execve ---- */

static __always_inline void emit_exec(u16 type, struct task_struct *t, s64 res,
				      struct file *exe, const char *kfilename, const void *ufilename)
{
	struct rec r;
	u32 n = type == PPME_SYSCALL_EXECVE_19_X ? 31 : 30;
	if (!rec_start(&r, type, n, BPF_CORE_READ(t, pid)))
		return;
	push_u64(&r, res);
	push_exe_args(&r, t);
	push_ids(&r, t);
	push_cwd(&r, t);
	push_mem(&r, t);
	push_comm(&r, t);
	push_cgroups(&r, t);
	push_env(&r, t);
	push_u32(&r, tty_of(t));
	push_u64(&r, pgid_of(t)); /* vpgid */
	push_u32(&r, BPF_CORE_READ(t, loginuid.val));
	push_u32(&r, exe_flags(t, exe));
	const struct cred *c = BPF_CORE_READ(t, cred);
	push_u64(&r, BPF_CORE_READ(c, cap_inheritable.val));
	push_u64(&r, BPF_CORE_READ(c, cap_permitted.val));
	push_u64(&r, BPF_CORE_READ(c, cap_effective.val));
	u64 ino = 0, ctime = 0, mtime = 0;
	if (exe) {
		struct inode *i = BPF_CORE_READ(exe, f_inode);
		ino = BPF_CORE_READ(i, i_ino);
		if (bpf_core_field_exists(i->i_ctime_sec)) {
			ctime = BPF_CORE_READ(i, i_ctime_sec) * 1000000000ULL + BPF_CORE_READ(i, i_ctime_nsec);
			mtime = BPF_CORE_READ(i, i_mtime_sec) * 1000000000ULL + BPF_CORE_READ(i, i_mtime_nsec);
		}
	}
	push_u64(&r, ino);
	push_u64(&r, ctime);
	push_u64(&r, mtime);
	push_u32(&r, BPF_CORE_READ(c, euid.val));
	if (exe)
		push_path(&r, &exe->f_path);
	else
		push_empty(&r); /* trusted_exepath */
	push_u64(&r, pgid_of(t));
	push_u32(&r, BPF_CORE_READ(c, egid.val));
	if (n == 31) {
		if (kfilename)
			push_kernel_str(&r, kfilename, MAX_PATH);
		else
			push_user_str(&r, ufilename, MAX_PATH);
	}
	rec_send(&r);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	if (excluded())
		return 0;
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(p);
	u32 nr = BPF_CORE_READ(regs, orig_ax);
	u16 type = PPME_SYSCALL_EXECVE_19_X;
	if (nr == __NR_execveat)
		type = PPME_SYSCALL_EXECVEAT_X;
	else
		nr = __NR_execve;
	if (!is_selected(nr))
		return 0;
	emit_exec(type, p, 0, BPF_CORE_READ(bprm, file), BPF_CORE_READ(bprm, filename), NULL);
	return 0;
}

/* A failed execve leaves the caller's image: report it at the exit. */
static __always_inline void exec_failed(u32 nr, struct args *a, s64 ret)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct file *exe = BPF_CORE_READ(t, mm, exe_file);
	if (nr == __NR_execveat)
		emit_exec(PPME_SYSCALL_EXECVEAT_X, t, ret, exe, NULL, NULL);
	else
		emit_exec(PPME_SYSCALL_EXECVE_19_X, t, ret, exe, NULL, UPTR(a->a[0]));
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	/* Processes forked by syscalls are reported at the syscall's exit;
	 * this reports the user processes kernel threads start. */
	if (!(BPF_CORE_READ(parent, flags) & PF_KTHREAD) || (BPF_CORE_READ(child, flags) & PF_KTHREAD))
		return 0;
	if (!is_selected(__NR_clone))
		return 0;
	emit_clone(PPME_SYSCALL_CLONE_20_X, child, 0, 0);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p)
{
	if (excluded())
		return 0;
	struct rec r;
	if (!rec_start(&r, PPME_PROCEXIT_1_E, 5, BPF_CORE_READ(p, pid)))
		return 0;
	s64 code = BPF_CORE_READ(p, exit_code);
	push_u64(&r, code);               /* status */
	push_u64(&r, (code >> 8) & 0xff); /* ret */
	push_u8(&r, code & 0x7f);         /* sig */
	push_u8(&r, (code & 0x80) ? 1 : 0);
	push_u64(&r, 0); /* reaper_tid */
	rec_send(&r);
	return 0;
}

/* ---- files ---- */

static __always_inline void open_exit(u32 nr, struct args *a, s64 ret)
{
	struct rec r;
	u64 flags, mode, resolve = 0;
	const void *name;
	s64 dirfd = -100;
	u16 type;
	u32 n;
	switch (nr) {
	case __NR_open:
		type = PPME_SYSCALL_OPEN_X, n = 6;
		name = UPTR(a->a[0]), flags = a->a[1], mode = a->a[2];
		break;
	case __NR_creat:
		type = PPME_SYSCALL_CREAT_X, n = 6;
		name = UPTR(a->a[0]), flags = 0100 | 01000 | 1, mode = a->a[1];
		break;
	case __NR_openat:
		type = PPME_SYSCALL_OPENAT_2_X, n = 7;
		dirfd = (s32)a->a[0], name = UPTR(a->a[1]), flags = a->a[2], mode = a->a[3];
		break;
	default: { /* openat2 */
		struct open_how how = {};
		if (bpf_probe_read_user(&how, sizeof(how), UPTR(a->a[2])) < 0)
			count_read_fail();
		type = PPME_SYSCALL_OPENAT2_X, n = 8;
		dirfd = (s32)a->a[0], name = UPTR(a->a[1]);
		flags = how.flags, mode = how.mode, resolve = how.resolve;
		break;
	}
	}
	struct file *f = NULL;
	if (ret >= 0)
		f = fd_file(bpf_get_current_task_btf(), ret);
	u32 pf = open_prefilter(ret, f, flags);
	/* The record's header (its time, thread) and the values that only
	 * the record needs wait for the pre-filter's decision: an open it
	 * keeps back costs only what deciding takes. */
	if (!rec_open(&r, n))
		return;
	push_u64(&r, ret);
	if (type == PPME_SYSCALL_OPENAT_2_X || type == PPME_SYSCALL_OPENAT2_X)
		push_u64(&r, dirfd);
	/* The path is read once, into the record: the pre-filter judges it
	 * there, and the record is only abandoned if it says no (nothing of
	 * it was reserved in the ring yet). */
	u32 at = r.off;
	long len = push_user_str(&r, name, MAX_PATH);
	if (pf && !open_judge(r.buf, at, len, f, (u64)dirfd << 32 | pf)) {
		count_prefiltered();
		return;
	}
	rec_stamp(&r, type, a->tid);
	u32 dev = 0, pflags = open_flags(flags);
	u64 ino = 0;
	file_dev_ino(f, &dev, &ino);
	if (f && (BPF_CORE_READ(f, f_mode) & FMODE_CREATED))
		pflags |= 0x4000; /* O_F_CREATED */
	if (type != PPME_SYSCALL_CREAT_X)
		push_u32(&r, pflags);
	push_u32(&r, open_mode(flags, mode));
	if (type == PPME_SYSCALL_OPENAT2_X)
		push_u32(&r, resolve_flags(resolve));
	push_u32(&r, dev);
	push_u64(&r, ino);
	if (type == PPME_SYSCALL_CREAT_X)
		push_u16(&r, 0); /* creat_flags */
	rec_send(&r);
}

/* rec2 and rec3 send records of a few fixed-size values. */
static __always_inline void emit_res_fd(struct args *a, u16 type, s64 ret, s64 fd)
{
	struct rec r;
	if (!rec_start(&r, type, 2, a->tid))
		return;
	push_u64(&r, ret);
	push_u64(&r, fd);
	rec_send(&r);
}

static __always_inline void dup_exit(u32 nr, struct args *a, s64 ret)
{
	struct rec r;
	u16 type = nr == __NR_dup ? PPME_SYSCALL_DUP_1_X : nr == __NR_dup2 ? PPME_SYSCALL_DUP2_X : PPME_SYSCALL_DUP3_X;
	u32 n = nr == __NR_dup ? 2 : nr == __NR_dup2 ? 3 : 4;
	if (!rec_start(&r, type, n, a->tid))
		return;
	push_u64(&r, ret);
	push_u64(&r, (s32)a->a[0]);
	if (n >= 3)
		push_u64(&r, (s32)a->a[1]);
	if (n == 4)
		push_u32(&r, cloexec_flag(a->a[2]));
	rec_send(&r);
}

static __always_inline void rename_exit(u32 nr, struct args *a, s64 ret)
{
	struct rec r;
	if (nr == __NR_rename) {
		if (!rec_start(&r, PPME_SYSCALL_RENAME_X, 3, a->tid))
			return;
		push_u64(&r, ret);
		push_user_str(&r, UPTR(a->a[0]), MAX_PATH);
		push_user_str(&r, UPTR(a->a[1]), MAX_PATH);
		rec_send(&r);
		return;
	}
	u16 type = nr == __NR_renameat ? PPME_SYSCALL_RENAMEAT_X : PPME_SYSCALL_RENAMEAT2_X;
	if (!rec_start(&r, type, nr == __NR_renameat ? 5 : 6, a->tid))
		return;
	push_u64(&r, ret);
	push_u64(&r, (s32)a->a[0]);
	push_user_str(&r, UPTR(a->a[1]), MAX_PATH);
	push_u64(&r, (s32)a->a[2]);
	push_user_str(&r, UPTR(a->a[3]), MAX_PATH);
	if (nr != __NR_renameat)
		push_u32(&r, a->a[4] & 7);
	rec_send(&r);
}

static __always_inline void unlink_exit(u32 nr, struct args *a, s64 ret)
{
	struct rec r;
	if (nr == __NR_unlink) {
		if (!rec_start(&r, PPME_SYSCALL_UNLINK_2_X, 2, a->tid))
			return;
		push_u64(&r, ret);
		push_user_str(&r, UPTR(a->a[0]), MAX_PATH);
		rec_send(&r);
		return;
	}
	if (!rec_start(&r, PPME_SYSCALL_UNLINKAT_2_X, 4, a->tid))
		return;
	push_u64(&r, ret);
	push_u64(&r, (s32)a->a[0]);
	push_user_str(&r, UPTR(a->a[1]), MAX_PATH);
	push_u32(&r, a->a[2] & 0x200); /* AT_REMOVEDIR */
	rec_send(&r);
}

static __always_inline void chmod_exit(u32 nr, struct args *a, s64 ret)
{
	struct rec r;
	switch (nr) {
	case __NR_chmod:
		if (!rec_start(&r, PPME_SYSCALL_CHMOD_X, 3, a->tid))
			return;
		push_u64(&r, ret);
		push_user_str(&r, UPTR(a->a[0]), MAX_PATH);
		push_u32(&r, a->a[1] & 07777);
		break;
	case __NR_fchmod:
		if (!rec_start(&r, PPME_SYSCALL_FCHMOD_X, 3, a->tid))
			return;
		push_u64(&r, ret);
		push_u64(&r, (s32)a->a[0]);
		push_u32(&r, a->a[1] & 07777);
		break;
	default: /* fchmodat, fchmodat2 */
		if (!rec_start(&r, PPME_SYSCALL_FCHMODAT_X, 4, a->tid))
			return;
		push_u64(&r, ret);
		push_u64(&r, (s32)a->a[0]);
		push_user_str(&r, UPTR(a->a[1]), MAX_PATH);
		push_u32(&r, a->a[2] & 07777);
		break;
	}
	rec_send(&r);
}

static __always_inline void memfd_exit(struct args *a, s64 ret)
{
	struct rec r;
	if (!rec_start(&r, PPME_SYSCALL_MEMFD_CREATE_X, 3, a->tid))
		return;
	push_u64(&r, ret);
	push_user_str(&r, UPTR(a->a[0]), 256);
	push_u32(&r, a->a[1] & 7);
	rec_send(&r);
}

/* ---- sockets ---- */

static __always_inline void socket_exit(struct args *a, s64 ret)
{
	struct rec r;
	if (!rec_start(&r, PPME_SOCKET_SOCKET_X, 5, a->tid))
		return;
	push_u64(&r, ret);
	push_u32(&r, a->a[0]);
	push_u32(&r, a->a[1] & ~(u32)(04000 | 02000000));
	push_u32(&r, a->a[2]);
	push_u32(&r, sock_file_flags(a->a[1]));
	rec_send(&r);
}

static __always_inline void bind_exit(struct args *a, s64 ret)
{
	struct rec r;
	if (!rec_start(&r, PPME_SOCKET_BIND_X, 3, a->tid))
		return;
	push_u64(&r, ret);
	push_sockaddr(&r, UPTR(a->a[1]), a->a[2]);
	push_u64(&r, (s32)a->a[0]);
	rec_send(&r);
}

static __always_inline void listen_exit(struct args *a, s64 ret)
{
	struct rec r;
	if (!rec_start(&r, PPME_SOCKET_LISTEN_X, 3, a->tid))
		return;
	push_u64(&r, ret);
	push_u64(&r, (s32)a->a[0]);
	push_u32(&r, a->a[1]);
	rec_send(&r);
}

static __always_inline void connect_exit(struct args *a, s64 ret)
{
	struct rec r;
	s64 fd = (s32)a->a[0];
	struct sock *sk = NULL;
	if (ret == 0 || ret == -115 /* EINPROGRESS */)
		sk = file_sock(fd_file(bpf_get_current_task_btf(), fd));
	if (!rec_start(&r, PPME_SOCKET_CONNECT_X, 4, a->tid))
		return;
	push_u64(&r, ret);
	push_tuple(&r, sk, 0);
	push_u64(&r, fd);
	push_sockaddr(&r, UPTR(a->a[1]), a->a[2]);
	rec_send(&r);
}

static __always_inline void accept_exit(u32 nr, struct args *a, s64 ret)
{
	struct rec r;
	struct task_struct *t = bpf_get_current_task_btf();
	struct sock *sk = NULL, *lsk = file_sock(fd_file(t, (s32)a->a[0]));
	if (ret >= 0)
		sk = file_sock(fd_file(t, ret));
	u32 qlen = 0, qmax = 0;
	if (lsk) {
		qlen = BPF_CORE_READ(lsk, sk_ack_backlog);
		qmax = BPF_CORE_READ(lsk, sk_max_ack_backlog);
	}
	u16 type = nr == __NR_accept ? PPME_SOCKET_ACCEPT_5_X : PPME_SOCKET_ACCEPT4_6_X;
	if (!rec_start(&r, type, nr == __NR_accept ? 5 : 6, a->tid))
		return;
	push_u64(&r, ret);
	push_tuple(&r, sk, 1);
	push_u8(&r, qmax ? (qlen * 100) / qmax : 0);
	push_u32(&r, qlen);
	push_u32(&r, qmax);
	if (nr != __NR_accept)
		push_u32(&r, a->a[3]);
	rec_send(&r);
}

/* ---- credentials, signals, tracing ---- */

static __always_inline void cred_exit(u32 nr, struct args *a, s64 ret)
{
	struct rec r;
	u16 type;
	u32 n;
	switch (nr) {
	case __NR_setuid: type = PPME_SYSCALL_SETUID_X, n = 2; break;
	case __NR_setgid: type = PPME_SYSCALL_SETGID_X, n = 2; break;
	case __NR_setreuid: type = PPME_SYSCALL_SETREUID_X, n = 3; break;
	case __NR_setregid: type = PPME_SYSCALL_SETREGID_X, n = 3; break;
	case __NR_setresuid: type = PPME_SYSCALL_SETRESUID_X, n = 4; break;
	default: type = PPME_SYSCALL_SETRESGID_X, n = 4; break;
	}
	if (!rec_start(&r, type, n, a->tid))
		return;
	push_u64(&r, ret);
	push_u32(&r, a->a[0]);
	if (n >= 3)
		push_u32(&r, a->a[1]);
	if (n == 4)
		push_u32(&r, a->a[2]);
	rec_send(&r);
}

static __always_inline void kill_exit(u32 nr, struct args *a, s64 ret)
{
	struct rec r;
	if (nr == __NR_tgkill) {
		if (!rec_start(&r, PPME_SYSCALL_TGKILL_X, 4, a->tid))
			return;
		push_u64(&r, ret);
		push_u64(&r, (s32)a->a[0]);
		push_u64(&r, (s32)a->a[1]);
		push_u8(&r, a->a[2]);
		rec_send(&r);
		return;
	}
	if (!rec_start(&r, nr == __NR_kill ? PPME_SYSCALL_KILL_X : PPME_SYSCALL_TKILL_X, 3, a->tid))
		return;
	push_u64(&r, ret);
	push_u64(&r, (s32)a->a[0]);
	push_u8(&r, a->a[1]);
	rec_send(&r);
}

static __always_inline void ptrace_exit(struct args *a, s64 ret)
{
	struct rec r;
	if (!rec_start(&r, PPME_SYSCALL_PTRACE_X, 5, a->tid))
		return;
	push_u64(&r, ret);
	/* addr and data as the UINT64 alternative of their dynamic type */
	u8 *d = at(&r);
	d[0] = 0;
	__builtin_memcpy(&d[1], &a->a[2], 8);
	done(&r, 9);
	d = at(&r);
	d[0] = 0;
	__builtin_memcpy(&d[1], &a->a[3], 8);
	done(&r, 9);
	push_u16(&r, ptrace_request(a->a[0]));
	push_u64(&r, (s32)a->a[1]);
	rec_send(&r);
}

static __always_inline void generic_exit(u32 nr, struct args *a)
{
	struct rec r;
	u16 *sc = bpf_map_lookup_elem(&ppm_sc, &nr);
	if (!rec_start(&r, PPME_GENERIC_X, 2, a->tid))
		return;
	push_u16(&r, sc ? *sc : 0);
	push_u16(&r, nr);
	rec_send(&r);
}

/* sys_exit_dispatch reports the exit of the selected native syscall nr,
 * with its arguments and result, for the current task. */
static __always_inline void sys_exit_dispatch(u32 nr, struct args *a, s64 ret)
{
	switch (nr) {
	case __NR_open:
	case __NR_openat:
	case __NR_openat2:
	case __NR_creat:
		open_exit(nr, a, ret);
		break;
	case __NR_close:
		emit_res_fd(a, PPME_SYSCALL_CLOSE_X, ret, (s32)a->a[0]);
		break;
	case __NR_execve:
	case __NR_execveat:
		if (ret < 0)
			exec_failed(nr, a, ret);
		break;
	case __NR_clone:
	case __NR_clone3:
	case __NR_fork:
	case __NR_vfork:
		clone_exit(nr, a, ret);
		break;
	case __NR_socket:
		socket_exit(a, ret);
		break;
	case __NR_bind:
		bind_exit(a, ret);
		break;
	case __NR_listen:
		listen_exit(a, ret);
		break;
	case __NR_connect:
		connect_exit(a, ret);
		break;
	case __NR_accept:
	case __NR_accept4:
		accept_exit(nr, a, ret);
		break;
	case __NR_dup:
	case __NR_dup2:
	case __NR_dup3:
		dup_exit(nr, a, ret);
		break;
	case __NR_rename:
	case __NR_renameat:
	case __NR_renameat2:
		rename_exit(nr, a, ret);
		break;
	case __NR_unlink:
	case __NR_unlinkat:
		unlink_exit(nr, a, ret);
		break;
	case __NR_chmod:
	case __NR_fchmod:
	case __NR_fchmodat:
		chmod_exit(nr, a, ret);
		break;
	case __NR_setuid:
	case __NR_setgid:
	case __NR_setreuid:
	case __NR_setregid:
	case __NR_setresuid:
	case __NR_setresgid:
		cred_exit(nr, a, ret);
		break;
	case __NR_kill:
	case __NR_tkill:
	case __NR_tgkill:
		kill_exit(nr, a, ret);
		break;
	case __NR_ptrace:
		ptrace_exit(a, ret);
		break;
	case __NR_memfd_create:
		memfd_exit(a, ret);
		break;
	case __NR_mkdir:
	case __NR_mkdirat:
	case __NR_rmdir:
		mkdir_exit(nr, a, ret);
		break;
	case __NR_link:
	case __NR_linkat:
	case __NR_symlink:
	case __NR_symlinkat:
		link_exit(nr, a, ret);
		break;
	case __NR_chown:
	case __NR_lchown:
	case __NR_fchown:
	case __NR_fchownat:
		chown_exit(nr, a, ret);
		break;
	case __NR_mount:
	case __NR_umount2:
		mount_exit(nr, a, ret);
		break;
	case __NR_chroot:
		chroot_exit(a, ret);
		break;
	case __NR_chdir:
	case __NR_fchdir:
		chdir_exit(nr, a, ret);
		break;
	case __NR_setsid:
	case __NR_setpgid:
		session_exit(nr, a, ret);
		break;
	case __NR_mmap:
	case __NR_munmap:
	case __NR_mprotect:
		mmap_exit(nr, a, ret);
		break;
	case __NR_read:
	case __NR_write:
	case __NR_pread64:
	case __NR_pwrite64:
		rw_exit(nr, a, ret);
		break;
	case __NR_pipe:
	case __NR_pipe2:
		pipe_exit(nr, a, ret);
		break;
	case __NR_fcntl:
		fcntl_exit(a, ret);
		break;
	case __NR_sendto:
		sendto_exit(a, ret);
		break;
	case __NR_recvfrom:
		recvfrom_exit(a, ret);
		break;
	case __NR_sendmsg:
		sendmsg_exit(a, ret);
		break;
	case __NR_recvmsg:
		recvmsg_exit(a, ret);
		break;
	case __NR_bpf:
		bpf_exit(a, ret);
		break;
	case __NR_init_module:
	case __NR_finit_module:
	case __NR_delete_module:
		module_exit(nr, a, ret);
		break;
	case __NR_userfaultfd:
		userfaultfd_exit(a, ret);
		break;
	case __NR_prctl:
		prctl_exit(a, ret);
		break;
	case __NR_setns:
	case __NR_unshare:
		ns_exit(nr, a, ret);
		break;
	case __NR_capset:
		capset_exit(a, ret);
		break;
	case __NR_io_uring_setup:
		io_uring_setup_exit(a, ret);
		break;
	default:
		generic_exit(nr, a);
		break;
	}
}

/* syscall_task reports whether the current task's syscalls are
 * reported, and if so notes its thread in a: not Kestrel's own, nor
 * 32-bit ones (ia32 compat; their numbers are not the native ones). One
 * helper call and direct loads: this runs for every selected syscall. */
static __always_inline int syscall_task(struct args *a)
{
	struct task_struct *t = bpf_get_current_task_btf();
	if (own_tgid && t->tgid == own_tgid)
		return 0;
	if (t->thread_info.status & TS_COMPAT)
		return 0;
	a->tid = t->pid;
	return 1;
}

/* Each selected syscall's exit is caught by one of two programs: the raw
 * sys_exit tracepoint, which runs for every syscall of the host, or, when
 * the loader attaches them instead (tracefs available), the syscalls' own
 * exit tracepoints (syscalls/sys_exit_<name>), attached for the selected
 * syscalls alone. Either way the selected map decides. */
SEC("tp_btf/sys_exit")
int BPF_PROG(on_sys_exit, struct pt_regs *regs, long ret)
{
	/* Direct loads: regs and the current task are BTF pointers. This
	 * part runs for every syscall of the host, selected or not. */
	if (COST_STAGE == 1)
		return 0;
	u32 nr = regs->orig_ax;
	struct args a;
	if (nr >= NR_SYSCALLS || !is_selected(nr) || !syscall_task(&a))
		return 0;
	if (COST_STAGE == 2)
		return 0;
	load_args(&a, regs);
	sys_exit_dispatch(nr, &a, ret);
	return 0;
}

/* The context of a BPF program on a syscalls/sys_exit_<name> tracepoint
 * (the kernel's perf_call_bpf_exit): the syscall's number and result.
 * The arguments are read from the task's user registers, the ones the raw
 * tracepoint gets: the syscall's entry saved them and only ax (the
 * result) changed since. The kernel does not run these tracepoints for
 * 32-bit syscalls (trace_get_syscall_nr); the compat check stays, as on
 * the raw path. */
struct syscall_exit_ctx {
	u64 regs; /* the kernel's registers, not the task's */
	s32 nr;
	s64 ret;
};

SEC("tracepoint/syscalls/sys_exit")
int on_syscall_exit(struct syscall_exit_ctx *ctx)
{
	u32 nr = ctx->nr;
	struct args a;
	if (nr >= NR_SYSCALLS || !is_selected(nr) || !syscall_task(&a))
		return 0;
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	load_args(&a, regs);
	sys_exit_dispatch(nr, &a, ctx->ret);
	return 0;
}
