/* Process attributes of the clone and execve events: memory use, cgroups,
 * executable flags and pid namespaces. */
#pragma once

#define MAX_CGROUP_DEPTH 32
#define OVERLAYFS_MAGIC 0x794c7630
#define S_IMMUTABLE 8
#define CAP_DAC_OVERRIDE 1

#define EXE_WRITABLE 1
#define EXE_UPPER_LAYER 2
#define EXE_FROM_MEMFD 4
#define EXE_LOWER_LAYER 8

/* Kernels before 6.2 keep the rss counters in struct mm_rss_stat. */
struct mm_rss_stat {
	atomic_long_t count[4];
} __attribute__((preserve_access_index));

struct mm_struct___old {
	struct mm_rss_stat rss_stat;
} __attribute__((preserve_access_index));

/* Kernels before 6.15 name the kernfs parent pointer "parent". */
struct kernfs_node___old {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));


static __always_inline s64 mm_counter(struct mm_struct *mm, int i)
{
	s64 v;
	if (bpf_core_type_exists(struct mm_rss_stat))
		v = BPF_CORE_READ((struct mm_struct___old *)mm, rss_stat.count[i].counter);
	else
		v = BPF_CORE_READ(mm, rss_stat[i].count);
	return v > 0 ? v : 0;
}

/* vm_rss and vm_swap in KiB, as /proc/PID/status counts them. */
static __always_inline void push_rss_swap(struct rec *r, struct mm_struct *mm)
{
	if (!mm) {
		push_u32(r, 0);
		push_u32(r, 0);
		return;
	}
	s64 rss = mm_counter(mm, MM_FILEPAGES) + mm_counter(mm, MM_ANONPAGES) + mm_counter(mm, MM_SHMEMPAGES);
	push_u32(r, rss << (PAGE_SHIFT - 10));
	push_u32(r, mm_counter(mm, MM_SWAPENTS) << (PAGE_SHIFT - 10));
}

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(kn->__parent))
		return BPF_CORE_READ(kn, __parent);
	return BPF_CORE_READ((struct kernfs_node___old *)kn, parent);
}

/* put_kstr copies a kernel string at w bytes into the value being built
 * and returns its length with the NUL, 0 on failure. */
static __always_inline u32 put_kstr(struct rec *r, u32 w, const void *p, u32 max)
{
	long n = bpf_probe_read_kernel_str(&r->buf[(r->off + w) & OFF_MASK], max & 511, p);
	return n > 0 ? n : 0;
}

static __always_inline void put_char(struct rec *r, u32 w, char c)
{
	r->buf[(r->off + w) & OFF_MASK] = c;
}

/* CG_NAME is where cgroup_step reads a name, past the path area. */
#define CG_NAME (PATH_AREA_END + 1)

/* cgroup_step prepends the name of the walk's kernfs node to the path
 * being assembled (a bpf_loop callback, like path_step). The root node's
 * name is not part of the path. It returns 1 to stop. */
static long cgroup_step(u32 i, void *ctx)
{
	struct walk_ref *ref = ctx;
	struct path_walk *w = ref->w;
	u8 *buf = ref->buf;
	struct kernfs_node *kn = w->kn;
	if (!kn)
		return 1;
	struct kernfs_node *parent = kn_parent(kn);
	if (!parent)
		return 1;
	long n = bpf_probe_read_kernel_str(&buf[CG_NAME], NAME_MAX + 1, BPF_CORE_READ(kn, name));
	if (n <= 1)
		return 1;
	u32 len = n - 1, pos = w->pos;
	if (pos < PATH_AREA + NAME_MAX + 2 || pos > PATH_AREA_END)
		return 1;
	pos -= len;
	bpf_probe_read_kernel(&buf[PATH_AREA + ((pos - PATH_AREA) & 0x3fff)], len & NAME_MAX, &buf[CG_NAME]);
	pos--;
	buf[PATH_AREA + ((pos - PATH_AREA) & 0x3fff)] = '/';
	w->pos = pos;
	w->kn = parent;
	return 0;
}

/* put_cgroup appends "subsystem=/path\0" for the task's cgroup of
 * subsystem id and returns the new length of the value. */
static __always_inline u32 put_cgroup(struct rec *r, u32 w, struct task_struct *t, u32 id)
{
	struct cgroup_subsys_state *css = NULL;
	if (w > 12000) /* room for one more path in the value */
		return w;
	struct css_set *cs = BPF_CORE_READ(t, cgroups);
	bpf_probe_read_kernel(&css, sizeof(css), &cs->subsys[id & 15]);
	if (!css)
		return w;
	u32 n = put_kstr(r, w, BPF_CORE_READ(css, ss, name), 64);
	if (!n)
		return w;
	w += n;
	put_char(r, w - 1, '=');
	struct scratch *s = container_of(r->buf, struct scratch, data);
	struct path_walk *pw = &s->walk;
	pw->pos = PATH_AREA_END;
	pw->kn = BPF_CORE_READ(css, cgroup, kn);
	r->buf[PATH_AREA_END] = 0;
	struct walk_ref ref = {.buf = r->buf, .w = pw};
	bpf_loop(MAX_CGROUP_DEPTH, cgroup_step, &ref, 0);
	u32 pos = pw->pos;
	if (pos > PATH_AREA_END || pos < PATH_AREA)
		pos = PATH_AREA_END;
	if (pos == PATH_AREA_END) { /* the root of the hierarchy */
		pos--;
		r->buf[PATH_AREA + ((pos - PATH_AREA) & 0x3fff)] = '/';
	}
	n = PATH_AREA_END + 1 - pos;
	if (n > 4000)
		n = 4000;
	bpf_probe_read_kernel(&r->buf[(r->off + w) & OFF_MASK], n & 4095, &r->buf[PATH_AREA + ((pos - PATH_AREA) & 0x3fff)]);
	return w + n;
}

/* cgroups_ref is the bpf_loop context of push_cgroups. */
struct cgroups_ref {
	struct rec *r;
	struct task_struct *t;
	u32 w;
	s32 ids[5];
};

static long cgroup_subsys_step(u32 i, void *ctx)
{
	struct cgroups_ref *ref = ctx;
	if (i >= 5)
		return 1;
	s32 id = ref->ids[i];
	if (id >= 0)
		ref->w = put_cgroup(ref->r, ref->w, ref->t, id);
	return 0;
}

/* push_cgroups pushes the cgroups of the cpuset, cpu, cpuacct, io and
 * memory controllers, as "name=path" strings one after the other. */
static __always_inline void push_cgroups(struct rec *r, struct task_struct *t)
{
	struct cgroups_ref ref = {.r = r, .t = t, .ids = {-1, -1, -1, -1, -1}};
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, cpuset_cgrp_id))
		ref.ids[0] = bpf_core_enum_value(enum cgroup_subsys_id, cpuset_cgrp_id);
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, cpu_cgrp_id))
		ref.ids[1] = bpf_core_enum_value(enum cgroup_subsys_id, cpu_cgrp_id);
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, cpuacct_cgrp_id))
		ref.ids[2] = bpf_core_enum_value(enum cgroup_subsys_id, cpuacct_cgrp_id);
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, io_cgrp_id))
		ref.ids[3] = bpf_core_enum_value(enum cgroup_subsys_id, io_cgrp_id);
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, memory_cgrp_id))
		ref.ids[4] = bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	bpf_loop(5, cgroup_subsys_step, &ref, 0);
	done(r, ref.w & (MAX_VALUE - 1));
}

/* exe_writable approximates whether the task may write its executable:
 * the owner, group or other write bit that applies to its fsuid and
 * fsgid, or CAP_DAC_OVERRIDE; never for an immutable file. */
static __always_inline int exe_writable(struct task_struct *t, struct inode *i)
{
	if (BPF_CORE_READ(i, i_flags) & S_IMMUTABLE)
		return 0;
	const struct cred *c = BPF_CORE_READ(t, cred);
	u32 mode = BPF_CORE_READ(i, i_mode);
	if (BPF_CORE_READ(c, fsuid.val) == BPF_CORE_READ(i, i_uid.val))
		mode >>= 6;
	else if (BPF_CORE_READ(c, fsgid.val) == BPF_CORE_READ(i, i_gid.val))
		mode >>= 3;
	if (mode & 2)
		return 1;
	return (BPF_CORE_READ(c, cap_effective.val) >> CAP_DAC_OVERRIDE) & 1;
}

/* exe_flags returns the execve flags of executable file exe. */
static __always_inline u32 exe_flags(struct task_struct *t, struct file *exe)
{
	if (!exe)
		return 0;
	u32 f = 0;
	if (exe_is_memfd(exe))
		f |= EXE_FROM_MEMFD;
	struct inode *i = BPF_CORE_READ(exe, f_path.dentry, d_inode);
	if (!i)
		return f;
	if (exe_writable(t, i))
		f |= EXE_WRITABLE;
	if (BPF_CORE_READ(i, i_sb, s_magic) == OVERLAYFS_MAGIC) {
		struct ovl_inode *oi = container_of(i, struct ovl_inode, vfs_inode);
		f |= BPF_CORE_READ(oi, __upperdentry) ? EXE_UPPER_LAYER : EXE_LOWER_LAYER;
	}
	return f;
}

/* pid_ns_of is the pid namespace of pid p (its deepest level). */
static __always_inline struct pid_namespace *pid_ns_of(struct pid *p)
{
	if (!p)
		return NULL;
	u32 level = BPF_CORE_READ(p, level);
	struct upid up = {};
	bpf_probe_read_kernel(&up, sizeof(up), &p->numbers[level & 31]);
	return up.ns;
}

static __always_inline int in_child_pidns(struct task_struct *t)
{
	return BPF_CORE_READ(t, thread_pid, level) > 0;
}

/* pidns_init_start is the start time (boot-relative monotonic ns) of the
 * init process of the task's pid namespace. */
static __always_inline u64 pidns_init_start(struct task_struct *t)
{
	struct pid_namespace *ns = pid_ns_of(BPF_CORE_READ(t, group_leader, thread_pid));
	if (!ns)
		return 0;
	return BPF_CORE_READ(ns, child_reaper, start_time);
}
