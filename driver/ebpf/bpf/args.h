/* The syscall's arguments and the current thread. */
#pragma once

/* The six syscall arguments, from the registers at exit, and the
 * calling thread, read once per syscall from its task (a direct load,
 * where a helper call would cost more on every record). */
struct args {
	u64 a[6];
	u64 tid;
};

/* load_args reads the registers of a BTF-typed pt_regs (the sys_exit
 * tracepoint's argument) with direct loads, which cost far less than
 * helper calls. */
static __always_inline void load_args(struct args *a, struct pt_regs *regs)
{
	a->a[0] = regs->di;
	a->a[1] = regs->si;
	a->a[2] = regs->dx;
	a->a[3] = regs->r10;
	a->a[4] = regs->r8;
	a->a[5] = regs->r9;
}

#define UPTR(x) ((const void *)(unsigned long)(x))
