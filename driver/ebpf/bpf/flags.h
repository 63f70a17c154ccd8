/* Linux constants to the portable PPM_* encodings of the event schemas. */
#pragma once

static __always_inline u32 open_flags(u64 f)
{
	u32 r = 0;
	switch (f & 3) {
	case 0: r = 1; break;  /* O_RDONLY */
	case 1: r = 2; break;  /* O_WRONLY */
	case 2: r = 3; break;  /* O_RDWR */
	}
	if (f & 0100) r |= 0x4;          /* O_CREAT */
	if (f & 02000) r |= 0x8;         /* O_APPEND */
	if (f & 010000) r |= 0x10;       /* O_DSYNC */
	if (f & 0200) r |= 0x20;         /* O_EXCL */
	if (f & 04000) r |= 0x40;        /* O_NONBLOCK */
	if (f & 04000000) r |= 0x80;     /* O_SYNC (__O_SYNC) */
	if (f & 01000) r |= 0x100;       /* O_TRUNC */
	if (f & 040000) r |= 0x200;      /* O_DIRECT */
	if (f & 0200000) r |= 0x400;     /* O_DIRECTORY */
	if (f & 0100000) r |= 0x800;     /* O_LARGEFILE */
	if (f & 02000000) r |= 0x1000;   /* O_CLOEXEC */
	if (f & 020000000) r |= 0x2000;  /* __O_TMPFILE */
	return r;
}

/* open_mode is the creation mode, kept only when the call may create. */
static __always_inline u32 open_mode(u64 flags, u64 mode)
{
	if (flags & (0100 | 020000000))
		return mode & 07777;
	return 0;
}

static __always_inline u32 clone_flags(u64 f)
{
	u32 r = 0;
	if (f & 0x400) r |= 0x1;             /* CLONE_FILES */
	if (f & 0x200) r |= 0x2;             /* CLONE_FS */
	if (f & 0x80000000ULL) r |= 0x4;     /* CLONE_IO */
	if (f & 0x08000000) r |= 0x8;        /* CLONE_NEWIPC */
	if (f & 0x40000000) r |= 0x10;       /* CLONE_NEWNET */
	if (f & 0x00020000) r |= 0x20;       /* CLONE_NEWNS */
	if (f & 0x20000000) r |= 0x40;       /* CLONE_NEWPID */
	if (f & 0x04000000) r |= 0x80;       /* CLONE_NEWUTS */
	if (f & 0x00008000) r |= 0x100;      /* CLONE_PARENT */
	if (f & 0x00100000) r |= 0x200;      /* CLONE_PARENT_SETTID */
	if (f & 0x00002000) r |= 0x400;      /* CLONE_PTRACE */
	if (f & 0x00000800) r |= 0x800;      /* CLONE_SIGHAND */
	if (f & 0x00040000) r |= 0x1000;     /* CLONE_SYSVSEM */
	if (f & 0x00010000) r |= 0x2000;     /* CLONE_THREAD */
	if (f & 0x00800000) r |= 0x4000;     /* CLONE_UNTRACED */
	if (f & 0x00000100) r |= 0x8000;     /* CLONE_VM */
	if (f & 0x10000000) r |= 0x100000;   /* CLONE_NEWUSER */
	if (f & 0x00200000) r |= 0x800000;   /* CLONE_CHILD_CLEARTID */
	if (f & 0x01000000) r |= 0x1000000;  /* CLONE_CHILD_SETTID */
	if (f & 0x00080000) r |= 0x2000000;  /* CLONE_SETTLS */
	if (f & 0x00004000) r |= 0x8000000;  /* CLONE_VFORK */
	if (f & 0x02000000) r |= 0x10000000; /* CLONE_NEWCGROUP */
	return r;
}

/* socket() type flags to file flags. */
static __always_inline u32 sock_file_flags(u64 type)
{
	u32 r = 0;
	if (type & 04000) r |= 0x40;      /* SOCK_NONBLOCK */
	if (type & 02000000) r |= 0x1000; /* SOCK_CLOEXEC */
	return r;
}

static __always_inline u32 resolve_flags(u64 f)
{
	u32 r = 0;
	if (f & 0x08) r |= 0x1;  /* RESOLVE_BENEATH */
	if (f & 0x10) r |= 0x2;  /* RESOLVE_IN_ROOT */
	if (f & 0x02) r |= 0x4;  /* RESOLVE_NO_MAGICLINKS */
	if (f & 0x04) r |= 0x8;  /* RESOLVE_NO_SYMLINKS */
	if (f & 0x01) r |= 0x10; /* RESOLVE_NO_XDEV */
	if (f & 0x20) r |= 0x20; /* RESOLVE_CACHED */
	return r;
}

static __always_inline u16 ptrace_request(u64 req)
{
	switch (req) {
	case 0: return 0x1;       /* TRACEME */
	case 1: return 0x2;       /* PEEKTEXT */
	case 2: return 0x3;       /* PEEKDATA */
	case 3: return 0x4;       /* PEEKUSR */
	case 4: return 0x5;       /* POKETEXT */
	case 5: return 0x6;       /* POKEDATA */
	case 6: return 0x7;       /* POKEUSR */
	case 7: return 0x8;       /* CONT */
	case 8: return 0x9;       /* KILL */
	case 9: return 0xa;       /* SINGLESTEP */
	case 12: return 0x1a;     /* GETREGS */
	case 13: return 0x1b;     /* SETREGS */
	case 14: return 0x1c;     /* GETFPREGS */
	case 15: return 0x1d;     /* SETFPREGS */
	case 16: return 0xb;      /* ATTACH */
	case 17: return 0xc;      /* DETACH */
	case 18: return 0x1e;     /* GETFPXREGS */
	case 19: return 0x1f;     /* SETFPXREGS */
	case 21: return 0x20;     /* OLDSETOPTIONS */
	case 24: return 0xd;      /* SYSCALL */
	case 25: return 0x21;     /* GET_THREAD_AREA */
	case 26: return 0x22;     /* SET_THREAD_AREA */
	case 30: return 0x23;     /* ARCH_PRCTL */
	case 31: return 0x24;     /* SYSEMU */
	case 32: return 0x25;     /* SYSEMU_SINGLESTEP */
	case 33: return 0x26;     /* SINGLEBLOCK */
	case 0x4200: return 0xe;  /* SETOPTIONS */
	case 0x4201: return 0xf;  /* GETEVENTMSG */
	case 0x4202: return 0x10; /* GETSIGINFO */
	case 0x4203: return 0x11; /* SETSIGINFO */
	case 0x4204: return 0x12; /* GETREGSET */
	case 0x4205: return 0x13; /* SETREGSET */
	case 0x4206: return 0x14; /* SEIZE */
	case 0x4207: return 0x15; /* INTERRUPT */
	case 0x4208: return 0x16; /* LISTEN */
	case 0x4209: return 0x17; /* PEEKSIGINFO */
	case 0x420a: return 0x18; /* GETSIGMASK */
	case 0x420b: return 0x19; /* SETSIGMASK */
	}
	return 0;
}

/* dup3 and similar O_CLOEXEC-only flags. */
static __always_inline u32 cloexec_flag(u64 f)
{
	return (f & 02000000) ? 0x1000 : 0;
}

static __always_inline u32 prot_flags(u64 p)
{
	u32 r = 0;
	if (p & 0x1) r |= 0x1;        /* PROT_READ */
	if (p & 0x2) r |= 0x2;        /* PROT_WRITE */
	if (p & 0x4) r |= 0x4;        /* PROT_EXEC */
	if (p & 0x8) r |= 0x8;        /* PROT_SEM */
	if (p & 0x01000000) r |= 0x10; /* PROT_GROWSDOWN */
	if (p & 0x02000000) r |= 0x20; /* PROT_GROWSUP */
	return r;
}

static __always_inline u32 mmap_flags(u64 f)
{
	u32 r = 0;
	if (f & 0x1) r |= 0x1;        /* MAP_SHARED */
	if (f & 0x2) r |= 0x2;        /* MAP_PRIVATE */
	if (f & 0x10) r |= 0x4;       /* MAP_FIXED */
	if (f & 0x20) r |= 0x8;       /* MAP_ANONYMOUS */
	if (f & 0x40) r |= 0x10;      /* MAP_32BIT */
	if (f & 0x4000) r |= 0x40;    /* MAP_NORESERVE */
	if (f & 0x8000) r |= 0x80;    /* MAP_POPULATE */
	if (f & 0x10000) r |= 0x100;  /* MAP_NONBLOCK */
	if (f & 0x100) r |= 0x200;    /* MAP_GROWSDOWN */
	if (f & 0x800) r |= 0x400;    /* MAP_DENYWRITE */
	if (f & 0x1000) r |= 0x800;   /* MAP_EXECUTABLE */
	if (f & 0x2000) r |= 0x4000;  /* MAP_LOCKED */
	return r;
}

static __always_inline u8 fcntl_cmd(u64 cmd)
{
	switch (cmd) {
	case 0: return 0x1;     /* F_DUPFD */
	case 1: return 0x2;     /* F_GETFD */
	case 2: return 0x3;     /* F_SETFD */
	case 3: return 0x4;     /* F_GETFL */
	case 4: return 0x5;     /* F_SETFL */
	case 5: return 0x6;     /* F_GETLK */
	case 6: return 0x8;     /* F_SETLK */
	case 7: return 0x9;     /* F_SETLKW */
	case 8: return 0xa;     /* F_SETOWN */
	case 9: return 0xc;     /* F_GETOWN */
	case 10: return 0xd;    /* F_SETSIG */
	case 11: return 0xf;    /* F_GETSIG */
	case 15: return 0x15;   /* F_SETOWN_EX */
	case 16: return 0x16;   /* F_GETOWN_EX */
	case 36: return 0x1e;   /* F_OFD_GETLK */
	case 37: return 0x1f;   /* F_OFD_SETLK */
	case 38: return 0x20;   /* F_OFD_SETLKW */
	case 1024: return 0x17; /* F_SETLEASE */
	case 1025: return 0x18; /* F_GETLEASE */
	case 1026: return 0x1b; /* F_NOTIFY */
	case 1029: return 0x19; /* F_CANCELLK */
	case 1030: return 0x1a; /* F_DUPFD_CLOEXEC */
	case 1031: return 0x1c; /* F_SETPIPE_SZ */
	case 1032: return 0x1d; /* F_GETPIPE_SZ */
	}
	return 0; /* UNKNOWN */
}

/* pipe2, userfaultfd: the file flags they accept. */
static __always_inline u32 fd_create_flags(s64 f)
{
	u32 r = 0;
	if (f < 0)
		return 0;
	if (f & 02000000) r |= 0x1000; /* O_CLOEXEC */
	if (f & 040000) r |= 0x200;    /* O_DIRECT */
	if (f & 04000) r |= 0x40;      /* O_NONBLOCK */
	return r;
}

/* mount flags keep their values; the old magic in the top half goes. */
static __always_inline u32 mount_flags(u64 f)
{
	if ((f & 0xffff0000) == 0xC0ED0000)
		f &= ~0xffff0000ULL;
	return f;
}

/* MNT_FORCE, MNT_DETACH, MNT_EXPIRE and UMOUNT_NOFOLLOW keep their values. */
static __always_inline u32 umount_flags(u64 f)
{
	return f & 0xf;
}

/* linkat: AT_SYMLINK_FOLLOW and AT_EMPTY_PATH keep their values. */
static __always_inline u32 linkat_flags(u64 f)
{
	return f & (0x400 | 0x1000);
}

/* fchownat: AT_SYMLINK_NOFOLLOW (0x100) is 0x400 in the table. */
static __always_inline u32 fchownat_flags(u64 f)
{
	u32 r = 0;
	if (f & 0x100) r |= 0x400;
	if (f & 0x1000) r |= 0x1000; /* AT_EMPTY_PATH */
	return r;
}

static __always_inline u32 delete_module_flags(u64 f)
{
	u32 r = 0;
	if (f & 01000) r |= 0x1; /* O_TRUNC */
	if (f & 04000) r |= 0x2; /* O_NONBLOCK */
	return r;
}

/* IORING_SETUP_* to the table's bits. The table has an extra bit (0x4,
 * IORING_SQ_NEED_WAKEUP) that the Falco drivers set together with IOPOLL
 * since the two kernel constants are both 1; Kestrel does the same. */
static __always_inline u32 io_uring_setup_flags(u32 f)
{
	u32 r = 0;
	if (f & 0x1) r |= 0x1 | 0x4; /* IOPOLL (and SQ_NEED_WAKEUP) */
	if (f & 0x2) r |= 0x2;       /* SQPOLL */
	if (f & 0x4) r |= 0x8;       /* SQ_AFF */
	if (f & 0x8) r |= 0x10;      /* CQSIZE */
	if (f & 0x10) r |= 0x20;     /* CLAMP */
	if (f & 0x20) r |= 0x40;     /* ATTACH_WQ */
	if (f & 0x40) r |= 0x80;     /* R_DISABLED */
	return r;
}
