/* Absolute paths of kernel struct path values (cwd, executables). */
#pragma once

#define PATH_AREA 49152     /* start of the assembly area in the scratch buffer */
#define PATH_AREA_END 65535 /* the NUL ending the path */
#define MAX_PATH_DEPTH 48
#define NAME_MAX 255


/* walk_ref is the bpf_loop context: a pointer to the walk's state. */
struct walk_ref {
	u8 *buf;
	struct path_walk *w;
};

/* path_step prepends one component of the walk (a bpf_loop callback, so
 * that the verifier checks it once). It returns 1 to stop. */
static long path_step(u32 i, void *ctx)
{
	struct walk_ref *ref = ctx;
	struct path_walk *w = ref->w;
	u8 *buf = ref->buf;
	struct dentry *d = w->d;
	if (!d)
		return 1;
	struct mount *mnt = w->mnt; /* a local: CO-RE reads relocate every step */
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	struct dentry *root = BPF_CORE_READ(mnt, mnt.mnt_root);
	if (d == root || d == parent) {
		struct mount *up = BPF_CORE_READ(mnt, mnt_parent);
		if (d == root && up && up != mnt) {
			w->d = BPF_CORE_READ(mnt, mnt_mountpoint);
			w->mnt = up;
			w->vm = &up->mnt;
			return 0;
		}
		w->top = 1;
		return 1;
	}
	struct qstr q = BPF_CORE_READ(d, d_name);
	u32 len = q.len;
	u32 pos = w->pos;
	if (len > NAME_MAX || pos < PATH_AREA + NAME_MAX + 2 || pos > PATH_AREA_END)
		return 1;
	pos -= len;
	if (bpf_probe_read_kernel(&buf[PATH_AREA + ((pos - PATH_AREA) & 0x3fff)], len & NAME_MAX, q.name) < 0)
		return 1;
	pos--;
	buf[PATH_AREA + ((pos - PATH_AREA) & 0x3fff)] = '/';
	w->pos = pos;
	w->d = parent;
	return 0;
}

/* build_path assembles the absolute path of the dentry and mount of a
 * struct path at the end of buf's path area, walking up to the root and
 * crossing mount points, and returns where it starts. A path deeper than
 * MAX_PATH_DEPTH components loses its top (the walk's top stays 0). */
static __always_inline u32 build_path(u8 *buf, struct dentry *d, struct vfsmount *vm)
{
	struct scratch *s = container_of(buf, struct scratch, data);
	struct path_walk *w = &s->walk;
	w->pos = PATH_AREA_END;
	w->top = 0;
	w->d = d;
	w->vm = vm;
	w->mnt = container_of(vm, struct mount, mnt);
	buf[PATH_AREA_END] = 0;
	struct walk_ref ref = {.buf = buf, .w = w};
	bpf_loop(MAX_PATH_DEPTH, path_step, &ref, 0);
	return w->pos;
}

static __always_inline void push_path(struct rec *r, const struct path *p)
{
	u32 pos = build_path(r->buf, BPF_CORE_READ(p, dentry), BPF_CORE_READ(p, mnt));
	if (pos > PATH_AREA_END || pos < PATH_AREA)
		pos = PATH_AREA_END;
	if (pos == PATH_AREA_END) { /* the root itself */
		pos--;
		r->buf[PATH_AREA + ((pos - PATH_AREA) & 0x3fff)] = '/';
	}
	u32 n = PATH_AREA_END + 1 - pos;
	if (n > MAX_PATH)
		n = MAX_PATH;
	bpf_probe_read_kernel(at(r), n & (MAX_VALUE - 1), &r->buf[PATH_AREA + ((pos - PATH_AREA) & 0x3fff)]);
	done(r, n);
}

static __always_inline void push_cwd(struct rec *r, struct task_struct *t)
{
	struct fs_struct *fs = BPF_CORE_READ(t, fs);
	if (!fs) {
		push_empty(r);
		return;
	}
	push_path(r, &fs->pwd);
}
