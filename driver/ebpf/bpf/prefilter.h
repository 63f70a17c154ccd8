/* The open pre-filter: the kernel side of driver.OpenFilter
 * (driver/prefilter.go says what must be sent; prefilter.go writes the
 * maps). An open the filter keeps in the kernel is counted in
 * drops.prefiltered and never reaches the ring.
 *
 * The path an open is judged by is the one the host model gives fd.name:
 * the path argument when it is absolute and plain; for a successful open
 * of a plain relative path, the path of the directory it is relative to
 * (the dirfd's, or the working directory's, from the directory cache
 * below), '/' and the argument, as the model joins them. Whatever the
 * filter cannot decide is sent: a path that is not plain ("..", "//",
 * "./", bytes the model rewrites: the model cleans it lexically, while
 * the kernel's path follows symbolic links), a failed open of a relative
 * path, a directory walk that did not reach the root.
 *
 * The directory cache (pf_dirs) spares the walk to relative opens, as
 * GNU tar's openat(dirfd, "name"): it holds the path of a directory
 *   - by its struct file, for dirfds: the path the open of the directory
 *     was judged by when it was plain (its name in the model: the name at
 *     the open, kept through renames and dups, as the model keeps it),
 *     else the walked path of the directory, at its first use;
 *   - by thread group, for the working directory: its walked path.
 * An entry is used only while the fd (or fs->pwd) holds the same struct
 * file and the same dentry and mount as when it was filled: an fd reused
 * for another directory (a dup2 onto it, a close and an open) misses. A
 * one-component name is moreover taken only if the opened file's parent
 * is that directory, on that mount (the argument named a file right in
 * it: no symbolic link or mount point crossed); otherwise it is sent.
 */
#pragma once

/* pf_config's one word. The Go side writes it whole, with one store, so
 * that a program reads the switches and the live generation together. */
#define PF_ON             (1U << 0) /* off: every selected open is sent */
#define PF_FAILED         (1U << 1)
#define PF_WRITE_ALL      (1U << 2)
#define PF_GEN            (1U << 3) /* the generation of the sets in use */
#define PF_ANY_PREFIXES   (1U << 4) /* which sets hold entries: the others */
#define PF_ANY_NAMES      (1U << 5) /* are not looked up */
#define PF_WRITE_PREFIXES (1U << 6)
#define PF_WRITE_NAMES    (1U << 7)
/* Not in the map: set on the word open_prefilter returns for a write. */
#define PF_OPEN_WRITE     (1U << 31)

/* The tag of every key: the generation and the set. The Go side fills the
 * generation not in use, flips PF_GEN, waits for the programs running
 * (pf_sync) and empties the old one: a program sees the old sets or the
 * new ones, whole. */
#define PF_TAG_WRITE 1
#define PF_TAG_GEN   2

/* Path bytes of a prefix key (with the tag, the LPM trie's largest key).
 * A longer path is looked up by its first PF_PREFIX_MAX bytes, and a longer
 * prefix is stored cut to as many: either way a match only gets likelier. */
#define PF_PREFIX_MAX 252
/* Bytes of a name key; longer names and components are cut likewise. */
#define PF_NAME_MAX 63
/* Entries of each map, both generations together. */
#define PF_MAX_ENTRIES 16384

#define PF_MASK 0xffff /* indexes in the scratch buffer (SCRATCH_SIZE > 64 KiB) */

/* The tags take whole words, so that the paths are aligned and copied a
 * word at a time. */
struct pf_prefix_key {
	u32 prefixlen; /* in bits, the tag's 32 included */
	u32 tag;
	u8 path[PF_PREFIX_MAX];
};

struct pf_name_key {
	u8 name[PF_NAME_MAX]; /* the last component, NUL-padded */
	u8 tag;
} __attribute__((aligned(8)));

/* State of a scan of a path (pf_scan), kept in map memory so that the
 * verifier does not follow its values from one step to the next. */
struct pf_scan {
	u64 slash, dot; /* the masks of the word before */
	u32 start;      /* the path's first byte */
	u32 at;         /* the next word */
	u32 last;       /* the last '/' seen */
	u32 odd;        /* the model would name the path otherwise */
	u32 end;        /* the NUL was reached */
	u32 base;       /* where the path's first byte goes in the prefix key */
	/* What pf_path found: the length of the path judged and of its last
	 * component, which is at buf[name]. */
	u32 len, name, namelen;
	u32 pad;
	u64 bdentry, bmnt; /* the directory a relative path was joined to */
};

/* A directory's path, cached (pf_dirs). */
struct pf_dir {
	u64 dentry, mnt; /* of the directory when cached */
	u32 len;         /* of the path; 0: the root, "" (joined: "/name") */
	u32 pad;
	u8 path[PF_PREFIX_MAX]; /* its first bytes: all a prefix key takes */
};

/* Keys are built in map memory: the prefix key alone would take half the
 * stack. */
struct pf_keys {
	struct pf_prefix_key prefix;
	struct pf_name_key name;
	u8 slack[8]; /* keys are written a word at a time, the last one whole */
	struct pf_scan scan;
	struct pf_dir stage; /* an entry of pf_dirs being filled */
};

/* pf_ref is the scan's bpf_loop context. */
struct pf_ref {
	u8 *buf;
	struct pf_keys *k;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u32);
} pf_config SEC(".maps");

/* Never read by the programs: SetPrefilter updates it to wait for them.
 * An update of a map of maps returns once every program that may have
 * read the old value has ended (synchronize_rcu), so after the flip of
 * PF_GEN no program still uses the old generation and it can be emptied.
 * Its one slot holds pf_config, whose shape it declares. */
struct pf_config_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u32);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, u32);
	__array(values, struct pf_config_map);
} pf_sync SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, PF_MAX_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pf_prefix_key);
	__type(value, u8);
} pf_prefixes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PF_MAX_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pf_name_key);
	__type(value, u8);
} pf_names SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct pf_keys);
} pf_keys_map SEC(".maps");

/* The directory cache: the key is a struct file's address (a dirfd's
 * directory) or a thread group id (its working directory); kernel
 * addresses and ids do not meet. */
#define PF_DIR_ENTRIES 8192

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PF_DIR_ENTRIES);
	__type(key, u64);
	__type(value, struct pf_dir);
} pf_dirs SEC(".maps");

static __always_inline void count_prefiltered(void)
{
	struct drops *d = drops();
	if (d)
		d->prefiltered++; /* per CPU, frequent: as events */
}

/* open_prefilter makes the checks that need no path, cheapest first. It
 * returns 0 when the open is to be sent, PF_OPEN_DIR when it opened a
 * directory (sent too), or the configuration word (with PF_OPEN_WRITE for
 * a write) when its path decides. */
#define PF_OPEN_DIR (1U << 30) /* a directory opened: sent, and cached */

static __always_inline u32 open_prefilter(s64 ret, struct file *f, u64 flags)
{
	u32 zero = 0;
	u32 *c = bpf_map_lookup_elem(&pf_config, &zero);
	if (!c)
		return 0;
	u32 cfg = *(volatile u32 *)c;
	if (!(cfg & PF_ON))
		return 0;
	if (ret < 0) {
		if (cfg & PF_FAILED)
			return 0;
	} else {
		/* The model needs directory fds for the *at syscalls. */
		if (!f)
			return 0;
		if ((BPF_CORE_READ(f, f_inode, i_mode) & 0170000) == 0040000)
			return PF_OPEN_DIR;
	}
	if (flags & (01 | 02 | 0100 | 01000)) { /* O_WRONLY O_RDWR O_CREAT O_TRUNC */
		if (cfg & PF_WRITE_ALL)
			return 0;
		cfg |= PF_OPEN_WRITE;
	}
	return cfg;
}

/* A path is scanned eight bytes at a time, with masks holding 0x80 in
 * the bytes that are of a kind (exact: no carry crosses a byte). */
#define PF_ONES  0x0101010101010101ULL
#define PF_HIGHS 0x8080808080808080ULL
#define PF_LOWS  0x7f7f7f7f7f7f7f7fULL

static __always_inline u64 pf_zeros(u64 v)
{
	return ~(((v & PF_LOWS) + PF_LOWS) | v | PF_LOWS);
}

/* pf_unprintable marks the bytes the model prints as '.': below 0x20
 * (the NUL too) and from 0x7f. */
static __always_inline u64 pf_unprintable(u64 v)
{
	return (v & PF_HIGHS) | pf_zeros(v ^ (0x7f * PF_ONES)) | (~((v & PF_LOWS) + 0x60 * PF_ONES) & PF_HIGHS);
}

/* pf_top returns the index of the highest byte marked in m (not 0). */
static __always_inline u32 pf_top(u64 m)
{
	u32 k = 0;
	if (m >> 32) {
		k += 4;
		m >>= 32;
	}
	if (m >> 16) {
		k += 2;
		m >>= 16;
	}
	if (m >> 8)
		k += 1;
	return k;
}

/* pf_scan_word looks at the word at buf[at] and returns 1 when the scan
 * is over. The path is odd when it holds "//" or "./" (the model drops a
 * '.' before a '/': "a./b" is its "ab", "/../" goes up), ends with "/"
 * or "." ("a." is its "a"), or holds bytes the model rewrites. Patterns
 * are matched by their last byte, with the masks of the word before
 * shifted in, so that one crossing two words is seen whole. */
static __always_inline int pf_scan_word(struct pf_ref *ref, u32 at)
{
	struct pf_scan *s = &ref->k->scan;
	u64 v = *(u64 *)&ref->buf[at & PF_MASK];
	u64 z = pf_zeros(v);
	u64 valid = ~0ULL, nul = 0;
	if (z) {
		nul = z & -z;            /* the first NUL */
		valid = nul | (nul - 1); /* the bytes up to it */
	}
	u64 slash = pf_zeros(v ^ ('/' * PF_ONES)) & valid;
	u64 dot = pf_zeros(v ^ ('.' * PF_ONES)) & valid;
	u64 end = slash | nul;
	u64 ps = s->slash, pd = s->dot;
	u64 slash1 = (slash << 8) | (ps >> 56); /* the byte before is '/' */
	u64 dot1 = (dot << 8) | (pd >> 56);
	if ((pf_unprintable(v) & valid & ~nul) ||
	    (slash & slash1) ||                      /* "//" */
	    (end & dot1) ||                          /* "./", "." at the end */
	    (nul & slash1)) {                        /* "/" at the end */
		s->odd = 1;
		return 1;
	}
	u32 off = at - s->start + s->base;
	if (off < PF_PREFIX_MAX) /* a multiple of 8 for an absolute path */
		*(u64 *)&ref->k->prefix.path[off & 0xff] = v;
	if (slash)
		s->last = at + pf_top(slash);
	if (nul) {
		s->end = 1;
		return 1;
	}
	s->slash = slash;
	s->dot = dot;
	return 0;
}

/* pf_scan_step looks at two words (a bpf_loop callback: fewer calls). */
static long pf_scan_step(u32 i, void *ctx)
{
	struct pf_ref *ref = ctx;
	u32 at = ref->k->scan.at;
	if (pf_scan_word(ref, at) || pf_scan_word(ref, at + 8))
		return 1;
	ref->k->scan.at = at + 16;
	return 0;
}

/* pf_scan checks the path of n bytes with its NUL at buf[start]: it
 * returns 1 when the path is plain, with k->scan.last at its last '/' and
 * its first bytes copied to the prefix key from path[base]. With base 0
 * the path is absolute; otherwise it is relative, and scanned as if a '/'
 * came before it ("./a", ".." are odd; its last '/' is then start - 1
 * when it holds none). */
static __always_inline int pf_scan(u8 *buf, struct pf_keys *k, u32 start, u32 n, u32 base)
{
	struct pf_scan *s = &k->scan;
	s->start = start;
	s->at = start;
	s->last = base ? start - 1 : start;
	s->slash = base ? 1ULL << 63 : 0; /* a '/' in the byte before */
	s->dot = 0;
	s->odd = 0;
	s->end = 0;
	s->base = base;
	if (n == 2 && !base) { /* "/" */
		k->prefix.path[0] = '/';
		return 1;
	}
	if (n < 2 || n > 1 << 16)
		return 0;
	struct pf_ref ref = {.buf = buf, .k = k};
	bpf_loop(n / 16 + 1, pf_scan_step, &ref, 0);
	return s->end && !s->odd;
}

/* pf_copy_name copies the n bytes of buf[p] (at most PF_NAME_MAX) to a
 * name key, a word at a time: a helper's copy costs more than the rest of
 * the lookup. */
static __always_inline void pf_copy_name(struct pf_name_key *k, u8 *buf, u32 p, u32 n)
{
	__builtin_memset(k, 0, sizeof(*k));
#pragma unroll
	for (u32 i = 0; i < (PF_NAME_MAX + 1) / 8; i++) {
		if (8 * i >= n)
			break;
		u64 w = *(u64 *)&buf[(p + 8 * i) & PF_MASK];
		u32 left = n - 8 * i;
		if (left < 8)
			w &= (1ULL << (8 * left)) - 1;
		if (8 * i + 8 > PF_NAME_MAX) /* the last byte is left out */
			w &= (1ULL << 56) - 1;
		*(u64 *)&k->name[8 * i] = w;
	}
}

/* pf_in_sets reports whether the path of len bytes, whose first bytes
 * the scan copied to the prefix key and whose last component is the
 * namelen bytes at buf[last], is in the Any set or, for a write, in the
 * Write set. */
static __always_inline int pf_in_sets(struct pf_keys *k, u8 *buf, u32 len, u32 last, u32 namelen, u32 cfg)
{
	u8 gen = (cfg & PF_GEN) ? PF_TAG_GEN : 0;
	u32 write = cfg & PF_OPEN_WRITE;
	if (cfg & (PF_ANY_PREFIXES | (write ? PF_WRITE_PREFIXES : 0))) {
		u32 n = len < PF_PREFIX_MAX ? len : PF_PREFIX_MAX;
		k->prefix.prefixlen = 32 + 8 * n;
		k->prefix.tag = gen;
		if ((cfg & PF_ANY_PREFIXES) && bpf_map_lookup_elem(&pf_prefixes, &k->prefix))
			return 1;
		k->prefix.tag = gen | PF_TAG_WRITE;
		if (write && (cfg & PF_WRITE_PREFIXES) && bpf_map_lookup_elem(&pf_prefixes, &k->prefix))
			return 1;
	}
	if (cfg & (PF_ANY_NAMES | (write ? PF_WRITE_NAMES : 0))) {
		pf_copy_name(&k->name, buf, last, namelen);
		k->name.tag = gen;
		if ((cfg & PF_ANY_NAMES) && bpf_map_lookup_elem(&pf_names, &k->name))
			return 1;
		k->name.tag = gen | PF_TAG_WRITE;
		if (write && (cfg & PF_WRITE_NAMES) && bpf_map_lookup_elem(&pf_names, &k->name))
			return 1;
	}
	return 0;
}

/* pf_store fills the staged entry of pf_dirs for the directory (d, vm)
 * whose path, of len bytes, has its first bytes in the prefix key, and
 * stores it under key. */
static __always_inline struct pf_dir *pf_store(struct pf_keys *k, u64 key, u64 d, u64 vm, u32 len)
{
	struct pf_dir *v = &k->stage;
	v->dentry = d;
	v->mnt = vm;
	v->len = len == 1 ? 0 : len; /* "/": the root */
	__builtin_memcpy(v->path, k->prefix.path, PF_PREFIX_MAX);
	bpf_map_update_elem(&pf_dirs, &key, v, BPF_ANY);
	return v;
}

/* pf_base puts the first bytes of the path of the directory a relative
 * open was resolved from (dirfd's, or the working directory) in the
 * prefix key, from the cache or walked (and cached), and returns its
 * length (0: the root), or -1 when it is not known or not plain. */
static __always_inline long pf_base(u8 *buf, struct pf_keys *k, s64 dirfd)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pf_scan *s = &k->scan;
	struct path p;
	u64 key;
	if (dirfd == -100) { /* AT_FDCWD */
		struct fs_struct *fs = BPF_CORE_READ(t, fs);
		if (!fs || bpf_core_read(&p, sizeof(p), &fs->pwd))
			return -1;
		key = bpf_get_current_pid_tgid() >> 32;
	} else {
		struct file *df = fd_file(t, dirfd);
		if (!df || bpf_core_read(&p, sizeof(p), &df->f_path))
			return -1;
		key = (u64)df;
	}
	s->bdentry = (u64)p.dentry;
	s->bmnt = (u64)p.mnt;
	struct pf_dir *v = bpf_map_lookup_elem(&pf_dirs, &key);
	if (v && v->dentry == s->bdentry && v->mnt == s->bmnt) {
		u32 len = v->len;
		__builtin_memcpy(k->prefix.path, v->path, PF_PREFIX_MAX);
		/* An entry replaced meanwhile may be reused for another key:
		 * its fields are read again after the copy. */
		if (*(volatile u64 *)&v->dentry == s->bdentry && *(volatile u64 *)&v->mnt == s->bmnt &&
		    *(volatile u32 *)&v->len == len)
			return len;
	}
	u32 pos = build_path(buf, p.dentry, p.mnt);
	struct scratch *sc = container_of(buf, struct scratch, data);
	if (!sc->walk.top || pos < PATH_AREA || pos > PATH_AREA_END)
		return -1;
	u32 len = PATH_AREA_END - pos;
	if (len && !pf_scan(buf, k, pos, len + 1, 0))
		return -1;
	return pf_store(k, key, s->bdentry, s->bmnt, len)->len;
}

/* pf_path finds the path of a successful open's argument as the model
 * names it, when it can do so without walking the opened file f: the
 * argument of n bytes at buf[at] when it is absolute and plain, or
 * joined to the directory it is relative to when it is relative and
 * plain. It returns 1 with the path's first bytes in the prefix key and
 * k->scan's len, name and namelen set. */
static __always_inline int pf_path(u8 *buf, struct pf_keys *k, u32 at, long n, struct file *f, s64 dirfd)
{
	struct pf_scan *s = &k->scan;
	if (n <= 1) /* empty or unreadable: the model names it otherwise */
		return 0;
	if (buf[at & PF_MASK] == '/') {
		if (!pf_scan(buf, k, at, n, 0))
			return 0;
		s->len = n - 1;
	} else {
		if (!f)
			return 0;
		long blen = pf_base(buf, k, dirfd);
		if (blen < 0)
			return 0;
		if (blen < PF_PREFIX_MAX)
			k->prefix.path[blen & 0xff] = '/';
		if (!pf_scan(buf, k, at, n, blen + 1))
			return 0;
		if (s->last == at - 1) { /* one component: right in the directory? */
			struct path fp;
			if (bpf_core_read(&fp, sizeof(fp), &f->f_path) || (u64)fp.mnt != s->bmnt ||
			    (u64)BPF_CORE_READ(fp.dentry, d_parent) != s->bdentry)
				return 0;
		}
		s->len = blen + n;
	}
	s->name = s->last + 1;
	s->namelen = at + n - 1 - s->name;
	return 1;
}

/* open_dir_cache caches the path of a directory just opened (f), when
 * pf_path finds it; otherwise it forgets what the cache held for f (a
 * struct file freed and reused at the same address). */
static __always_inline void open_dir_cache(u8 *buf, u32 at, long n, struct file *f, s64 dirfd)
{
	u32 zero = 0;
	struct pf_keys *k = bpf_map_lookup_elem(&pf_keys_map, &zero);
	if (!k)
		return;
	u64 key = (u64)f;
	if (!pf_path(buf, k, at, n, f, dirfd)) {
		bpf_map_delete_elem(&pf_dirs, &key);
		return;
	}
	struct path fp;
	if (bpf_core_read(&fp, sizeof(fp), &f->f_path))
		return;
	pf_store(k, key, (u64)fp.dentry, (u64)fp.mnt, k->scan.len);
}

/* open_path_wanted decides an open by its path: n bytes with the NUL at
 * buf[at] (the path argument, in the record), relative to dirfd, f the
 * opened file or NULL, cfg what open_prefilter returned. */
static __always_inline int open_path_wanted(u8 *buf, u32 at, long n, struct file *f, s64 dirfd, u32 cfg)
{
	u32 zero = 0;
	struct pf_keys *k = bpf_map_lookup_elem(&pf_keys_map, &zero);
	if (!k)
		return 1;
	struct pf_scan *s = &k->scan;
	if (pf_path(buf, k, at, n, f, dirfd))
		return pf_in_sets(k, buf, s->len, s->name, s->namelen, cfg);
	/* A path that is not plain ("..", "//", "./", bytes the model rewrites)
	 * is sent: the model cleans it lexically, while the kernel's own path
	 * of the opened file follows symbolic links, and the two can differ. */
	return 1;
}

/* open_judge runs the path checks of an open, in a function of its own
 * (called, not inlined: the program's jumps must stay in 16-bit range).
 * dirfd_cfg is the open's dirfd in the high half, what open_prefilter
 * returned in the low half. It caches an opened directory, or returns
 * whether an open is to be sent. */
static __noinline int open_judge(u8 *buf, u32 at, long n, struct file *f, u64 dirfd_cfg)
{
	s64 dirfd = (s32)(dirfd_cfg >> 32);
	u32 cfg = dirfd_cfg;
	if (cfg == PF_OPEN_DIR) {
		open_dir_cache(buf, at, n, f, dirfd);
		return 1;
	}
	return open_path_wanted(buf, at, n, f, dirfd, cfg);
}
