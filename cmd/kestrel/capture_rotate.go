package main

import (
	"github.com/spf13/pflag"

	"github.com/kestrel-sec/kestrel/internal/app"
)

// rotateHelp says how -C, -G and -W split a capture.
const rotateHelp = `

Long captures can be split into several files, as sysdig splits them. Each
file starts with the processes and open files of the host at that moment,
so that it can be read on its own by kestrel read or sysdig -r.
  -C SIZE     start a new file once the current one holds more than SIZE
              million bytes (of the compressed stream with -z)
  -G SECONDS  start a new file every SECONDS seconds (by the events' time)
  -W COUNT    with -C or -G, keep at most COUNT files: after COUNT files the
              names are used again and the oldest file is replaced
File names: the -w name followed by the file's number, from 0 (trace.scap0,
trace.scap1...), zero-padded to the digits of COUNT with -C and -W
(trace.scap00...). With -G, a -w name holding strftime(3) conversions
(%Y %m %d %H %M %S...) is formatted with the local time at which each file
starts instead, e.g. -w 'trace-%F_%H%M%S.scap'; with -C as well, the number
follows. With -W, such a file is removed when its place in the ring is
taken. A file is started only to hold an event, so a quiet period makes no
empty file.`

// rotateFlags holds the values of -C, -G and -W.
type rotateFlags struct {
	sizeMB, seconds, files int
}

func (r *rotateFlags) add(fl *pflag.FlagSet) {
	fl.IntVarP(&r.sizeMB, "file-size", "C", 0, "with -w, start a new file once the current one holds more than this many million bytes")
	fl.IntVarP(&r.seconds, "rotate-seconds", "G", 0, "with -w, start a new file every this many seconds")
	fl.IntVarP(&r.files, "limit", "W", 0, "with -C or -G, keep at most this many files, reusing their names in a ring")
}

// options checks the flags against the -w name and returns the options.
func (r *rotateFlags) options(write string) (app.RotateOptions, error) {
	o := app.RotateOptions{Size: int64(r.sizeMB) * 1000000, Seconds: r.seconds, Files: r.files}
	return o, o.Check(write)
}

// set reports whether any of -C, -G or -W was given.
func (r *rotateFlags) set() bool { return r.sizeMB != 0 || r.seconds != 0 || r.files != 0 }
