package ebpf_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/kestrel-sec/kestrel/driver/ebpf"
	"github.com/kestrel-sec/kestrel/driver/ebpf/ebpftest"
	"github.com/kestrel-sec/kestrel/event"
	"github.com/kestrel-sec/kestrel/internal/testenv"
)

// threadsC makes threads with clone3 as glibc's pthread_create does,
// with the clone_args in the creating thread's memory, and then does
// what a creating thread may do before its new thread first runs: reuse
// that memory (here, zero it; both threads are on one CPU and real-time
// first-in-first-out, so the new one runs only when its creator sleeps). Each new thread exits at once
// on its own stack. Then it starts a process with posix_spawn (clone3
// with CLONE_VM and CLONE_VFORK).
const threadsC = `#define _GNU_SOURCE
#include <linux/sched.h>
#include <sched.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
static long clone3_exit(struct clone_args *a) {
	long ret;
	register long rdi asm("rdi") = (long)a;
	register long rsi asm("rsi") = sizeof(*a);
	asm volatile("mov $435, %%eax\n\tsyscall\n\ttest %%rax, %%rax\n\tjnz 1f\n\t"
		"mov $60, %%eax\n\txor %%edi, %%edi\n\tsyscall\n1:\n"
		: "=a"(ret) : "r"(rdi), "r"(rsi) : "rcx", "r11", "memory");
	return ret;
}
int main(void) {
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	if (sched_setaffinity(0, sizeof one, &one) != 0) return 1;
	/* Real-time, first in first out: a new thread of the same priority
	 * waits for its creator to sleep. */
	struct sched_param sp = {.sched_priority = 1};
	if (sched_setscheduler(0, SCHED_FIFO, &sp) != 0) return 4;
	for (int i = 0; i < 8; i++) {
		struct clone_args *a = calloc(1, sizeof *a);
		char *stack = malloc(1 << 16);
		a->flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM;
		a->stack = (unsigned long)stack;
		a->stack_size = 1 << 16;
		if (clone3_exit(a) < 0) return 2;
		memset(a, 0, sizeof *a);
		usleep(20000);
	}
	pid_t c;
	char *argv[] = {"true", 0};
	if (posix_spawn(&c, "/bin/true", 0, 0, argv, 0) != 0) return 3;
	waitpid(c, 0, 0);
	return 0;
}
`

// Clone flags as records carry them (PPM_CL_*).
const (
	clFiles   = 0x1
	clFS      = 0x2
	clSighand = 0x800
	clThread  = 0x2000
	clVM      = 0x8000
)

// TestProbeClone3Threads checks the flags of threads created with clone3:
// each thread's own record (the child's side, which the model often sees
// first) says CLONE_THREAD and what it shares, read from the task,
// whatever became of the clone_args meanwhile.
func TestProbeClone3Threads(t *testing.T) {
	ebpftest.Live(t)
	cc := testenv.Tool(t, "clang")
	dir := t.TempDir()
	src, bin := filepath.Join(dir, "threads.c"), filepath.Join(dir, "threads")
	if err := os.WriteFile(src, []byte(threadsC), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(cc, "-O1", "-o", bin, src).CombinedOutput(); err != nil {
		t.Fatalf("clang: %v\n%s", err, out)
	}
	p, err := openLive(t, ebpf.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.Command(bin)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("threads: %v\n%s", err, out)
	}
	pid := int64(cmd.Process.Pid)
	var threads, procs int
	for threads < 8 || procs < 1 {
		e, err := p.Next(ctx)
		if err != nil {
			t.Fatalf("%d thread and %d process records of clone3 children seen: %v", threads, procs, err)
		}
		if e.Name() != "clone3" || e.Param(0).Int() != 0 {
			continue
		}
		flags := uint32(paramNamed(t, e, "flags").Uint())
		tid, ppid := e.TID(), paramNamed(t, e, "pid").Int()
		switch {
		case ppid == pid && tid != pid: // a thread of the program
			threads++
			if want := uint32(clThread | clVM | clSighand | clFiles | clFS); flags&want != want {
				t.Errorf("thread %d: flags %#x, want %#x set", tid, flags, want)
			}
		case paramNamed(t, e, "ptid").Int() == pid: // the spawned process, before its execve
			procs++
			if flags&(clThread|clFiles) != 0 || flags&clVM == 0 {
				t.Errorf("process %d: flags %#x, want CLONE_VM and no CLONE_THREAD or CLONE_FILES", tid, flags)
			}
		}
	}
}

// paramNamed returns the parameter of e called name.
func paramNamed(t *testing.T, e *event.Event, name string) event.Param {
	t.Helper()
	v, ok := e.ParamByName(name)
	if !ok {
		t.Fatalf("%s has no %s", e.Name(), name)
	}
	return v
}
