package ebpftest

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Values of the file-system actions.
const (
	DirMode   = 0o750
	ChownUID  = 4242
	ChownGID  = 4343
	TmpfsDev  = "kestrel-tmpfs"
	TmpfsType = "tmpfs"
	// TmpfsFlags are the mount flags: MS_NOSUID|MS_NODEV.
	TmpfsFlags = unix.MS_NOSUID | unix.MS_NODEV
)

// FS is what the file-system actions did.
type FS struct {
	Dir, DirAt         string // made with mkdir and mkdirat, then removed with rmdir
	Target             string // the file links point to
	Symlink, SymlinkAt string
	Link, LinkAt       string
	Mount              string // where a tmpfs was mounted, then unmounted
	ChownFD            int    // the fd fchown changed
	Chdir              string // the directory chdir went to
	FchdirFD           int    // the fd of the directory fchdir went back to
}

// fsActions makes and removes directories and links, changes owners, and
// mounts a tmpfs, each with the plain and the *at syscall.
func fsActions(dir string, fs *FS) error {
	fs.Dir, fs.DirAt = filepath.Join(dir, "d1"), filepath.Join(dir, "d2")
	fs.Target = filepath.Join(dir, "target.txt")
	fs.Symlink, fs.SymlinkAt = filepath.Join(dir, "sym1"), filepath.Join(dir, "sym2")
	fs.Link, fs.LinkAt = filepath.Join(dir, "link1"), filepath.Join(dir, "link2")
	fs.Mount = filepath.Join(dir, "mnt")
	if err := os.WriteFile(fs.Target, []byte("target\n"), 0o600); err != nil {
		return err
	}
	steps := []struct {
		name string
		nr   uintptr
		args []any
	}{
		{"mkdir", unix.SYS_MKDIR, []any{fs.Dir, DirMode}},
		{"mkdirat", unix.SYS_MKDIRAT, []any{unix.AT_FDCWD, fs.DirAt, DirMode}},
		{"rmdir", unix.SYS_RMDIR, []any{fs.Dir}},
		{"rmdir", unix.SYS_RMDIR, []any{fs.DirAt}},
		{"symlink", unix.SYS_SYMLINK, []any{fs.Target, fs.Symlink}},
		{"symlinkat", unix.SYS_SYMLINKAT, []any{fs.Target, unix.AT_FDCWD, fs.SymlinkAt}},
		{"link", unix.SYS_LINK, []any{fs.Target, fs.Link}},
		{"linkat", unix.SYS_LINKAT, []any{unix.AT_FDCWD, fs.Target, unix.AT_FDCWD, fs.LinkAt, unix.AT_SYMLINK_FOLLOW}},
		{"chown", unix.SYS_CHOWN, []any{fs.Target, ChownUID, ChownGID}},
		{"lchown", unix.SYS_LCHOWN, []any{fs.Symlink, ChownUID, ChownGID}},
		{"fchownat", unix.SYS_FCHOWNAT, []any{unix.AT_FDCWD, fs.SymlinkAt, ChownUID, ChownGID, unix.AT_SYMLINK_NOFOLLOW}},
		{"mkdir", unix.SYS_MKDIR, []any{fs.Mount, DirMode}},
		{"mount", unix.SYS_MOUNT, []any{TmpfsDev, fs.Mount, TmpfsType, TmpfsFlags, "size=1m"}},
		{"umount2", unix.SYS_UMOUNT2, []any{fs.Mount, 0}},
	}
	for _, s := range steps {
		if _, err := sys(s.nr, s.args...); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	fd, err := unix.Open(fs.Target, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	fs.ChownFD = fd
	if _, err := sys(unix.SYS_FCHOWN, fd, ChownUID, ChownGID); err != nil {
		return fmt.Errorf("fchown: %w", err)
	}
	unix.Close(fd)
	return chdirActions(dir, fs)
}

// chdirActions goes to dir with chdir and back with fchdir (the workload
// process's working directory, which no other action uses).
func chdirActions(dir string, fs *FS) error {
	back, err := unix.Open(".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(back)
	fs.Chdir, fs.FchdirFD = dir, back
	if _, err := sys(unix.SYS_CHDIR, dir); err != nil {
		return fmt.Errorf("chdir: %w", err)
	}
	if _, err := sys(unix.SYS_FCHDIR, back); err != nil {
		return fmt.Errorf("fchdir: %w", err)
	}
	return nil
}
