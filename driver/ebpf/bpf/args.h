/* The syscall's arguments and the current thread. */
#pragma once

static __always_inline u64 cur_tid(void)
{
	return bpf_get_current_pid_tgid() & 0xffffffff;
}

/* The six syscall arguments, from the registers at exit. */
struct args {
	u64 a[6];
};

static __always_inline void load_args(struct args *a, struct pt_regs *regs)
{
	a->a[0] = BPF_CORE_READ(regs, di);
	a->a[1] = BPF_CORE_READ(regs, si);
	a->a[2] = BPF_CORE_READ(regs, dx);
	a->a[3] = BPF_CORE_READ(regs, r10);
	a->a[4] = BPF_CORE_READ(regs, r8);
	a->a[5] = BPF_CORE_READ(regs, r9);
}

#define UPTR(x) ((const void *)(unsigned long)(x))
