package field

import "github.com/kestrel-sec/kestrel/event"

// syscallCategories holds, for each PPM_SC syscall code below 329 (the
// codes sysdig 0.29.3 knows), the category of the syscall, one letter
// each: o other, y system, p process, r I/O read, w I/O write, x other
// I/O, f file, t time, i IPC, m memory, s sleep, a wait, g signal,
// u user, n net. Generic events (syscalls without their own event type)
// take their category from it.
const syscallCategories = "" +
	"oyprwfffffftffffpfotfatfxifffxitmpxappifxpppyppttfffppyfffffppff" +
	"yttyoayyxyymyyypfypfafxrwpxmmmmppppspppsfapggggggfppfpfuuuuuuuuf" +
	"uuuufuuuupmmpffffffffffffgippppxxxxxxaaafpttttttttsgfiiiiiiyayyy" +
	"ppiiiffffffffffffaapppiiipafgtittgiaxiirwooipofpinnnnnnnnnnnnnnn" +
	"nnniiiiiiiiiiffffpoginfffffagggyfgptfaffpigxxxxxxxxxxxxxxxyooxxx" +
	"ffffyyfpp"

// syscallCategory returns the category of PPM_SC syscall code id; codes
// newer than the table are "other", as in current Falco libraries.
func syscallCategory(id uint16) event.Category {
	if int(id) >= len(syscallCategories) {
		return event.CatOther
	}
	switch syscallCategories[id] {
	case 'y':
		return event.CatSystem
	case 'p':
		return event.CatProcess
	case 'r':
		return event.CatIORead
	case 'w':
		return event.CatIOWrite
	case 'x':
		return event.CatIOOther
	case 'f':
		return event.CatFile
	case 't':
		return event.CatTime
	case 'i':
		return event.CatIPC
	case 'm':
		return event.CatMemory
	case 's':
		return event.CatSleep
	case 'a':
		return event.CatWait
	case 'g':
		return event.CatSignal
	case 'u':
		return event.CatUser
	case 'n':
		return event.CatNet
	}
	return event.CatOther
}
