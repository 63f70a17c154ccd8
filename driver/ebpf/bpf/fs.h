/* File-system changes: directories, links, ownership, mounts, chroot. */
#pragma once

static __always_inline void mkdir_exit(u32 nr, struct args *a, s64 ret)
{
	struct rec r;
	switch (nr) {
	case __NR_mkdir:
		if (!rec_start(&r, PPME_SYSCALL_MKDIR_2_X, 3, a->tid))
			return;
		push_u64(&r, ret);
		push_user_str(&r, UPTR(a->a[0]), MAX_PATH);
		push_u32(&r, a->a[1]);
		break;
	case __NR_mkdirat:
		if (!rec_start(&r, PPME_SYSCALL_MKDIRAT_X, 4, a->tid))
			return;
		push_u64(&r, ret);
		push_u64(&r, (s32)a->a[0]);
		push_user_str(&r, UPTR(a->a[1]), MAX_PATH);
		push_u32(&r, a->a[2]);
		break;
	default: /* rmdir */
		if (!rec_start(&r, PPME_SYSCALL_RMDIR_2_X, 2, a->tid))
			return;
		push_u64(&r, ret);
		push_user_str(&r, UPTR(a->a[0]), MAX_PATH);
		break;
	}
	rec_send(&r);
}

static __always_inline void link_exit(u32 nr, struct args *a, s64 ret)
{
	struct rec r;
	switch (nr) {
	case __NR_link:
		if (!rec_start(&r, PPME_SYSCALL_LINK_2_X, 3, a->tid))
			return;
		push_u64(&r, ret);
		push_user_str(&r, UPTR(a->a[0]), MAX_PATH);
		push_user_str(&r, UPTR(a->a[1]), MAX_PATH);
		break;
	case __NR_linkat:
		if (!rec_start(&r, PPME_SYSCALL_LINKAT_2_X, 6, a->tid))
			return;
		push_u64(&r, ret);
		push_u64(&r, (s32)a->a[0]);
		push_user_str(&r, UPTR(a->a[1]), MAX_PATH);
		push_u64(&r, (s32)a->a[2]);
		push_user_str(&r, UPTR(a->a[3]), MAX_PATH);
		push_u32(&r, linkat_flags(a->a[4]));
		break;
	case __NR_symlink:
		if (!rec_start(&r, PPME_SYSCALL_SYMLINK_X, 3, a->tid))
			return;
		push_u64(&r, ret);
		push_user_str(&r, UPTR(a->a[0]), MAX_PATH);
		push_user_str(&r, UPTR(a->a[1]), MAX_PATH);
		break;
	default: /* symlinkat */
		if (!rec_start(&r, PPME_SYSCALL_SYMLINKAT_X, 4, a->tid))
			return;
		push_u64(&r, ret);
		push_user_str(&r, UPTR(a->a[0]), MAX_PATH);
		push_u64(&r, (s32)a->a[1]);
		push_user_str(&r, UPTR(a->a[2]), MAX_PATH);
		break;
	}
	rec_send(&r);
}

static __always_inline void chown_exit(u32 nr, struct args *a, s64 ret)
{
	struct rec r;
	switch (nr) {
	case __NR_chown:
	case __NR_lchown:
		if (!rec_start(&r, nr == __NR_chown ? PPME_SYSCALL_CHOWN_X : PPME_SYSCALL_LCHOWN_X, 4, a->tid))
			return;
		push_u64(&r, ret);
		push_user_str(&r, UPTR(a->a[0]), MAX_PATH);
		push_u32(&r, a->a[1]);
		push_u32(&r, a->a[2]);
		break;
	case __NR_fchown:
		if (!rec_start(&r, PPME_SYSCALL_FCHOWN_X, 4, a->tid))
			return;
		push_u64(&r, ret);
		push_u64(&r, (s32)a->a[0]);
		push_u32(&r, a->a[1]);
		push_u32(&r, a->a[2]);
		break;
	default: /* fchownat */
		if (!rec_start(&r, PPME_SYSCALL_FCHOWNAT_X, 6, a->tid))
			return;
		push_u64(&r, ret);
		push_u64(&r, (s32)a->a[0]);
		push_user_str(&r, UPTR(a->a[1]), MAX_PATH);
		push_u32(&r, a->a[2]);
		push_u32(&r, a->a[3]);
		push_u32(&r, fchownat_flags(a->a[4]));
		break;
	}
	rec_send(&r);
}

static __always_inline void mount_exit(u32 nr, struct args *a, s64 ret)
{
	struct rec r;
	if (nr == __NR_mount) {
		if (!rec_start(&r, PPME_SYSCALL_MOUNT_X, 5, a->tid))
			return;
		push_u64(&r, ret);
		push_user_str(&r, UPTR(a->a[0]), MAX_PATH);
		push_user_str(&r, UPTR(a->a[1]), MAX_PATH);
		push_user_str(&r, UPTR(a->a[2]), 256);
		push_u32(&r, mount_flags(a->a[3]));
	} else { /* umount2 */
		if (!rec_start(&r, PPME_SYSCALL_UMOUNT2_X, 3, a->tid))
			return;
		push_u64(&r, ret);
		push_user_str(&r, UPTR(a->a[0]), MAX_PATH);
		push_u32(&r, umount_flags(a->a[1]));
	}
	rec_send(&r);
}

static __always_inline void chroot_exit(struct args *a, s64 ret)
{
	struct rec r;
	if (!rec_start(&r, PPME_SYSCALL_CHROOT_X, 2, a->tid))
		return;
	push_u64(&r, ret);
	push_user_str(&r, UPTR(a->a[0]), MAX_PATH);
	rec_send(&r);
}

/* chdir and fchdir change the working directory the model joins relative
 * paths to (proc.cwd). */
static __always_inline void chdir_exit(u32 nr, struct args *a, s64 ret)
{
	struct rec r;
	u16 type = nr == __NR_chdir ? PPME_SYSCALL_CHDIR_X : PPME_SYSCALL_FCHDIR_X;
	if (!rec_start(&r, type, 2, a->tid))
		return;
	push_u64(&r, ret);
	if (nr == __NR_chdir)
		push_user_str(&r, UPTR(a->a[0]), MAX_PATH);
	else
		push_u64(&r, (s32)a->a[0]);
	rec_send(&r);
}
