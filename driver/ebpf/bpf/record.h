/* Building scap event records in a per-CPU scratch buffer and sending
 * them to the ring buffer.
 *
 * A record is the 26-byte header (ts, tid, len, type, nparams), the u16
 * length of every parameter, then the values back to back. The number of
 * parameters is fixed when the record starts, so values begin right after
 * the length array and each push appends one value and fills its length.
 */
#pragma once

/* COST_STAGE, 0 in the probe Kestrel ships, builds variants that stop
 * early, for bench/probecost.sh, which measures what each stage of a
 * recorded syscall costs: 1 returns at once from the sys_exit program, 2
 * after the selection and task checks, 3 skips the clock read, 4 skips
 * the copy into the ring buffer. */
#ifndef COST_STAGE
#define COST_STAGE 0
#endif

#define HEADER_LEN 26
#define MAX_PARAMS 32
/* The record takes at most the first 48 KiB; paths are assembled in the
 * area after it (see path.h). */
#define SCRATCH_SIZE (65536 + 512)
/* Values are written at an offset masked with OFF_MASK and are at most
 * MAX_VALUE bytes, so every write stays inside the scratch buffer. */
#define OFF_MASK 32767
#define MAX_VALUE 16384
#define MAX_PATH 4096
#define MAX_ARGS 4096

/* State of a path walk (path.h), kept in map memory so that the verifier
 * does not follow its values from one step to the next. */
struct path_walk {
	struct dentry *d;
	struct vfsmount *vm;
	struct mount *mnt;
	struct kernfs_node *kn; /* cgroup paths (proc.h) */
	u32 pos;
	u32 top; /* set when the walk reached the root: the path is whole */
};

struct scratch {
	u8 data[SCRATCH_SIZE];
	struct path_walk walk;
};

struct drops {
	u64 ring_full;   /* the ring buffer had no room */
	u64 read_fail;   /* a read of user or kernel memory failed */
	u64 too_long;    /* a record outgrew the scratch buffer */
	u64 events;      /* records sent */
	u64 unwoken;     /* bytes this CPU sent since it last woke the reader
			    (not a counter) */
	u64 prefiltered; /* opens the pre-filter kept in the kernel (not a
			    loss: no rule can match them; prefilter.h) */
};

/* One ring buffer per CPU, or per group of cpus_per_ring CPUs: producers
 * on different CPUs do not share the ring's lock and positions. The
 * reader merges the rings by timestamp. */
struct ring_map {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* set by the loader */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1); /* one per ring, set and filled by the loader */
	__type(key, u32);
	__array(values, struct ring_map);
} rings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* one per possible CPU, set by the loader */
	__type(key, u32);
	__type(value, struct scratch);
} scratch_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct drops);
} drop_map SEC(".maps");

/* Set by the loader before loading. */
volatile const u32 own_tgid = 0;      /* excluded process; 0: none */
volatile const u64 boot_to_epoch = 0; /* CLOCK_REALTIME - CLOCK_BOOTTIME, ns */
volatile const u32 snaplen = 0;       /* bytes of I/O data kept; 0: none */
volatile const u32 cpus_per_ring = 1; /* CPUs sharing a ring */
/* Records are sent without waking the reader, which polls the rings on a
 * timer; a CPU wakes it each time it has sent wake_bytes more. A
 * wakeup per record (the ring buffer's default when the reader keeps up)
 * costs an interrupt on the producing CPU and a reschedule of the reader,
 * several times the rest of the probe's work. */
volatile const u64 wake_bytes = 0;

/* The largest snaplen: the loader refuses more (Go's MaxSnaplen). */
#define MAX_SNAPLEN 8192

struct rec {
	u8 *buf;
	u32 off;   /* end of the values written so far */
	u32 idx;   /* next parameter */
	u32 n;     /* parameters announced in the header */
	u32 bad;   /* set when the record overflowed */
};

static __always_inline struct drops *drops(void)
{
	u32 zero = 0;
	return bpf_map_lookup_elem(&drop_map, &zero);
}

static __always_inline void count_read_fail(void)
{
	struct drops *d = drops();
	if (d)
		__sync_fetch_and_add(&d->read_fail, 1);
}

/* rec_open takes the scratch buffer for a record of n parameters, its
 * values to be written from r->off, without writing the header yet (see
 * rec_stamp): a record that may be abandoned costs only the buffer. It
 * returns 0 when the scratch buffer is not available. */
static __always_inline int rec_open(struct rec *r, u32 n)
{
	u32 cpu = bpf_get_smp_processor_id();
	struct scratch *s = bpf_map_lookup_elem(&scratch_map, &cpu);
	if (!s)
		return 0;
	r->buf = s->data;
	r->idx = 0;
	r->n = n & (MAX_PARAMS - 1 + MAX_PARAMS); /* n <= 63, keeps the verifier sure */
	r->off = HEADER_LEN + 2 * r->n;
	r->bad = 0;
	return 1;
}

/* rec_stamp writes the header of a record rec_open began: its time (now),
 * thread and type. */
static __always_inline void rec_stamp(struct rec *r, u16 t, u64 tid)
{
	u64 ts = COST_STAGE == 3 ? boot_to_epoch : bpf_ktime_get_boot_ns() + boot_to_epoch;
	__builtin_memcpy(&r->buf[0], &ts, 8);
	__builtin_memcpy(&r->buf[8], &tid, 8);
	__builtin_memcpy(&r->buf[20], &t, 2);
	__builtin_memcpy(&r->buf[22], &r->n, 4);
}

/* rec_start begins a record of type t with n parameters for the current
 * thread. It returns 0 when the scratch buffer is not available. */
static __always_inline int rec_start(struct rec *r, u16 t, u32 n, u64 tid)
{
	if (!rec_open(r, n))
		return 0;
	rec_stamp(r, t, tid);
	return 1;
}

/* done records the length of the value just written and moves on. */
static __always_inline void done(struct rec *r, u32 len)
{
	u32 i = r->idx;
	if (i >= MAX_PARAMS)
		return;
	barrier_var(i); /* keep the mask: r may have been through bpf_loop */
	i &= MAX_PARAMS - 1;
	u16 l = len;
	__builtin_memcpy(&r->buf[HEADER_LEN + 2 * i], &l, 2);
	r->idx = i + 1;
	r->off += len;
	if (r->off > OFF_MASK)
		r->bad = 1;
}

static __always_inline u8 *at(struct rec *r)
{
	return &r->buf[r->off & OFF_MASK];
}

static __always_inline void push_u8(struct rec *r, u8 v)
{
	*at(r) = v;
	done(r, 1);
}

static __always_inline void push_u16(struct rec *r, u16 v)
{
	__builtin_memcpy(at(r), &v, 2);
	done(r, 2);
}

static __always_inline void push_u32(struct rec *r, u32 v)
{
	__builtin_memcpy(at(r), &v, 4);
	done(r, 4);
}

static __always_inline void push_u64(struct rec *r, u64 v)
{
	__builtin_memcpy(at(r), &v, 8);
	done(r, 8);
}

static __always_inline void push_empty(struct rec *r)
{
	done(r, 0);
}

/* push_user_str pushes a NUL-terminated string of user memory, at most
 * max bytes with its NUL; an unreadable string is an empty value. */
static __always_inline long push_user_str(struct rec *r, const void *p, u32 max)
{
	long n = 0;
	if (p) {
		n = bpf_probe_read_user_str(at(r), max & (MAX_VALUE - 1), p);
		if (n < 0) {
			count_read_fail();
			n = 0;
		}
	}
	done(r, n);
	return n;
}

static __always_inline long push_kernel_str(struct rec *r, const void *p, u32 max)
{
	long n = 0;
	if (p) {
		n = bpf_probe_read_kernel_str(at(r), max & (MAX_VALUE - 1), p);
		if (n < 0) {
			count_read_fail();
			n = 0;
		}
	}
	done(r, n);
	return n;
}

/* push_user_bytes pushes len bytes of user memory (at most MAX_ARGS). */
static __always_inline void push_user_bytes(struct rec *r, const void *p, u64 len)
{
	if (len > MAX_ARGS)
		len = MAX_ARGS;
	if (!p || len == 0) {
		done(r, 0);
		return;
	}
	u32 n = len & (MAX_VALUE - 1);
	if (bpf_probe_read_user(at(r), n, p) < 0) {
		count_read_fail();
		n = 0;
	}
	done(r, n);
}

/* wake_flags returns the ring buffer flags for a record of size bytes:
 * a forced wakeup once this CPU has sent wake_bytes since its last one.
 * (Asking the ring how much is unread would read the position the reader
 * writes, a cache miss on every record.) */
static __always_inline u64 wake_flags(struct drops *d, u32 size)
{
	if (!d)
		return BPF_RB_NO_WAKEUP;
	d->unwoken += size + 8;
	if (d->unwoken < wake_bytes)
		return BPF_RB_NO_WAKEUP;
	d->unwoken = 0;
	return BPF_RB_FORCE_WAKEUP;
}

/* rec_send completes the header and copies the record into the ring. */
static __always_inline void rec_send(struct rec *r)
{
	struct drops *d = drops();
	if (r->bad || r->idx != r->n) {
		if (d)
			__sync_fetch_and_add(&d->too_long, 1);
		return;
	}
	u32 len = r->off;
	__builtin_memcpy(&r->buf[16], &len, 4);
	/* The CPU follows the record, outside its length. */
	u32 cpu = bpf_get_smp_processor_id();
	__builtin_memcpy(&r->buf[len & OFF_MASK], &cpu, 2);
	u32 size = (len & OFF_MASK) + 2;
	u32 idx = cpu / cpus_per_ring;
	if (COST_STAGE == 4) {
		if (d)
			d->events++;
		return;
	}
	void *ring = bpf_map_lookup_elem(&rings, &idx);
	if (!ring || bpf_ringbuf_output(ring, r->buf, size, wake_flags(d, size)) < 0) {
		if (d)
			__sync_fetch_and_add(&d->ring_full, 1);
		return;
	}
	/* A plain increment: the map is per CPU, and this counter is taken
	 * for every record (the drop counters, rare, stay atomic). */
	if (d)
		d->events++;
}
