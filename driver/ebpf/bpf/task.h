/* Reading process, file and socket attributes from kernel structures. */
#pragma once

#define FMODE_CREATED 0x100000
#define RLIMIT_NOFILE 7
#define PAGE_SHIFT 12

/* new_encode_dev of a kernel dev_t (major << 20 | minor). */
static __always_inline u32 encode_dev(u32 dev)
{
	u32 major = dev >> 20, minor = dev & ((1U << 20) - 1);
	return (minor & 0xff) | (major << 8) | ((minor & ~0xffU) << 12);
}

/* fd_file returns the file of descriptor fd of task t, a BTF pointer (the
 * current task): the table is reached with direct loads, which cost far
 * less than helper calls; only the slot, in an array, takes a read. */
static __always_inline struct file *fd_file(struct task_struct *t, s64 fd)
{
	if (fd < 0)
		return NULL;
	struct files_struct *files = t->files;
	if (!files)
		return NULL;
	struct fdtable *fdt = files->fdt;
	if (!fdt || (u64)fd >= fdt->max_fds)
		return NULL;
	struct file **fds = fdt->fd;
	struct file *f = NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

static __always_inline void file_dev_ino(struct file *f, u32 *dev, u64 *ino)
{
	*dev = 0;
	*ino = 0;
	if (!f)
		return;
	struct inode *i = BPF_CORE_READ(f, f_inode);
	if (!i)
		return;
	*dev = encode_dev(BPF_CORE_READ(i, i_sb, s_dev));
	*ino = BPF_CORE_READ(i, i_ino);
}

static __always_inline u32 tty_of(struct task_struct *t)
{
	struct tty_struct *tty = BPF_CORE_READ(t, signal, tty);
	if (!tty)
		return 0;
	int major = BPF_CORE_READ(tty, driver, major);
	int minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);
	return encode_dev(((u32)major << 20) | (u32)minor);
}

static __always_inline s64 pgid_of(struct task_struct *t)
{
	struct pid *p = BPF_CORE_READ(t, signal, pids[PIDTYPE_PGID]);
	if (!p)
		return 0;
	return BPF_CORE_READ(p, numbers[0].nr);
}

/* Namespace-local id of pid p (the deepest level). */
static __always_inline s64 vnr(struct pid *p)
{
	if (!p)
		return 0;
	u32 level = BPF_CORE_READ(p, level);
	struct upid up = {};
	bpf_probe_read_kernel(&up, sizeof(up), &p->numbers[level & 31]);
	return up.nr;
}

static __always_inline u32 vm_size_kb(struct mm_struct *mm)
{
	if (!mm)
		return 0;
	return BPF_CORE_READ(mm, total_vm) << (PAGE_SHIFT - 10);
}

/* exe_is_memfd reports whether file f is a memfd ("memfd:" names). */
static __always_inline int exe_is_memfd(struct file *f)
{
	if (!f)
		return 0;
	const unsigned char *name = BPF_CORE_READ(f, f_path.dentry, d_name.name);
	char buf[6] = {};
	if (bpf_probe_read_kernel(buf, sizeof(buf), name) < 0)
		return 0;
	return buf[0] == 'm' && buf[1] == 'e' && buf[2] == 'm' && buf[3] == 'f' && buf[4] == 'd' && buf[5] == ':';
}
