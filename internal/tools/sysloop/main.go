// Command sysloop makes system calls in a tight loop, for the capture
// benchmark (bench/capture.sh): -n calls of getppid, or of open and close
// of /dev/null with -open, as fast as it can or paced at -rate calls per
// second. It prints the calls made per second on stderr.
package main

import (
	"flag"
	"fmt"
	"os"
	"syscall"
	"time"
	"unsafe"
)

func main() {
	n := flag.Int("n", 2000000, "system calls to make")
	rate := flag.Float64("rate", 0, "calls per second (0: as fast as possible)")
	openClose := flag.Bool("open", false, "open and close /dev/null (two calls) instead of getppid")
	flag.Parse()
	start := time.Now()
	calls := loop(*n, *rate, *openClose)
	secs := time.Since(start).Seconds()
	fmt.Fprintf(os.Stderr, "sysloop: %d calls in %.3f s, %.0f calls/s\n", calls, secs, float64(calls)/secs)
}

// loop makes the calls and returns how many it made.
func loop(n int, rate float64, openClose bool) int {
	path, err := syscall.BytePtrFromString("/dev/null")
	if err != nil {
		panic(err)
	}
	start := time.Now()
	calls := 0
	for calls < n {
		if openClose {
			fd, _, _ := syscall.RawSyscall6(syscall.SYS_OPENAT, uintptr(^uint(99)), uintptr(unsafe.Pointer(path)), syscall.O_RDONLY, 0, 0, 0)
			syscall.RawSyscall(syscall.SYS_CLOSE, fd, 0, 0)
			calls += 2
		} else {
			syscall.RawSyscall(syscall.SYS_GETPPID, 0, 0, 0)
			calls++
		}
		if rate > 0 && calls%1024 < 2 {
			pace(start, calls, rate)
		}
	}
	return calls
}

// pace waits until calls are due at rate calls per second since start.
func pace(start time.Time, calls int, rate float64) {
	due := start.Add(time.Duration(float64(calls) / rate * float64(time.Second)))
	for time.Now().Before(due) {
	}
}
