/* Memory mappings: mmap, munmap, mprotect. */
#pragma once

static __always_inline void mmap_exit(u32 nr, struct args *a, s64 ret)
{
	struct rec r;
	if (nr == __NR_mprotect) {
		if (!rec_start(&r, PPME_SYSCALL_MPROTECT_X, 4, a->tid))
			return;
		push_u64(&r, ret);
		push_u64(&r, a->a[0]);
		push_u64(&r, a->a[1]);
		push_u32(&r, prot_flags(a->a[2]));
		rec_send(&r);
		return;
	}
	int is_mmap = nr == __NR_mmap;
	if (!rec_start(&r, is_mmap ? PPME_SYSCALL_MMAP_X : PPME_SYSCALL_MUNMAP_X, is_mmap ? 10 : 6, a->tid))
		return;
	struct mm_struct *mm = BPF_CORE_READ((struct task_struct *)bpf_get_current_task_btf(), mm);
	push_u64(&r, ret);
	push_u32(&r, vm_size_kb(mm));
	push_rss_swap(&r, mm);
	push_u64(&r, a->a[0]);
	push_u64(&r, a->a[1]);
	if (is_mmap) {
		push_u32(&r, prot_flags(a->a[2]));
		push_u32(&r, mmap_flags(a->a[3]));
		push_u64(&r, (s32)a->a[4]);
		push_u64(&r, a->a[5]);
	}
	rec_send(&r);
}
