// actions.c: the system calls that some cases of falco_rules.tests.yaml
// need and no common tool makes on purpose. Each is harmless: it acts only
// on this program and its own child, and undoes what it does.
//
//	actions traceme   PTRACE_TRACEME, then exit (nothing traces us)
//	actions attach    fork a child that sleeps, PTRACE_ATTACH to it, detach, kill it
//	actions memfd     copy /bin/true into a memfd and execute it from there
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int fail(const char *what) {
	fprintf(stderr, "actions: %s: %s\n", what, strerror(errno));
	return 1;
}

static int traceme(void) {
	if (ptrace(PTRACE_TRACEME, 0, 0, 0) != 0)
		return fail("ptrace(PTRACE_TRACEME)");
	return 0;
}

static int attach(void) {
	pid_t child = fork();
	if (child < 0)
		return fail("fork");
	if (child == 0) {
		pause();
		_exit(0);
	}
	int rc = 0, status;
	if (ptrace(PTRACE_ATTACH, child, 0, 0) != 0) {
		rc = fail("ptrace(PTRACE_ATTACH)");
	} else {
		waitpid(child, &status, 0);
		ptrace(PTRACE_DETACH, child, 0, 0);
	}
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	return rc;
}

static int memfd(char **envp) {
	int fd = syscall(SYS_memfd_create, "kestrel-memfd", 0);
	if (fd < 0)
		return fail("memfd_create");
	int in = open("/bin/true", O_RDONLY);
	if (in < 0)
		return fail("open /bin/true");
	char buf[65536];
	ssize_t n;
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(fd, buf, n) != n)
			return fail("write");
	close(in);
	char *argv[] = {"kestrel-memfd", NULL};
	fexecve(fd, argv, envp);
	return fail("fexecve");
}

int main(int argc, char **argv, char **envp) {
	if (argc == 2 && strcmp(argv[1], "traceme") == 0)
		return traceme();
	if (argc == 2 && strcmp(argv[1], "attach") == 0)
		return attach();
	if (argc == 2 && strcmp(argv[1], "memfd") == 0)
		return memfd(envp);
	fprintf(stderr, "usage: actions traceme|attach|memfd\n");
	return 2;
}
