package app

import (
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRotationNames checks the names of successive files against sysdig
// 0.29.3's, as seen with 'sysdig -r BIG -w t.scap' and -C 1, -C 1 -W 3,
// -C 1 -W 10, -G 1 and -G 1 -W 2 on a 22 MB capture: a counter from 0
// after the -w name, padded to the digits of -W with -C alone, going back
// to 0 after -W files.
func TestRotationNames(t *testing.T) {
	at := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	for _, c := range []struct {
		o    RotateOptions
		base string
		want string
	}{
		{RotateOptions{Size: 1}, "t.scap", "t.scap0 t.scap1 t.scap2 t.scap3 t.scap4 t.scap5 t.scap6 t.scap7 t.scap8 t.scap9 t.scap10 t.scap11"},
		{RotateOptions{Size: 1, Files: 3}, "t.scap", "t.scap0 t.scap1 t.scap2 t.scap0 t.scap1 t.scap2 t.scap0 t.scap1 t.scap2 t.scap0 t.scap1 t.scap2"},
		{RotateOptions{Size: 1, Files: 10}, "t.scap", "t.scap00 t.scap01 t.scap02 t.scap03 t.scap04 t.scap05 t.scap06 t.scap07 t.scap08 t.scap09 t.scap00 t.scap01"},
		{RotateOptions{Seconds: 1}, "t.scap", "t.scap0 t.scap1 t.scap2 t.scap3 t.scap4 t.scap5 t.scap6 t.scap7 t.scap8 t.scap9 t.scap10 t.scap11"},
		{RotateOptions{Seconds: 1, Files: 10}, "t.scap", "t.scap0 t.scap1 t.scap2 t.scap3 t.scap4 t.scap5 t.scap6 t.scap7 t.scap8 t.scap9 t.scap0 t.scap1"},
		{RotateOptions{Seconds: 1, Location: time.UTC}, "t-%H%M%S", "t-070809 t-070810 t-070811 t-070812 t-070813 t-070814 t-070815 t-070816 t-070817 t-070818 t-070819 t-070820"},
		{RotateOptions{Seconds: 1, Size: 1, Files: 10, Location: time.UTC}, "t-%S.", "t-09.00 t-10.01 t-11.02 t-12.03 t-13.04 t-14.05 t-15.06 t-16.07 t-17.08 t-18.09 t-19.00 t-20.01"},
		{RotateOptions{Size: 1}, "t-%S", "t-%S0 t-%S1 t-%S2 t-%S3 t-%S4 t-%S5 t-%S6 t-%S7 t-%S8 t-%S9 t-%S10 t-%S11"},
	} {
		n := newRotationNames(c.base, c.o)
		var got []string
		for i := range 12 {
			name, _ := n.next(at.Add(time.Duration(i) * time.Second))
			got = append(got, name)
		}
		if g := strings.Join(got, " "); g != c.want {
			t.Errorf("%+v %q:\n got %s\nwant %s", c.o, c.base, g, c.want)
		}
	}
}

// TestRotationNamesRemove checks that a time-named file is removed when
// its place in the ring of -W is taken, and only then.
func TestRotationNamesRemove(t *testing.T) {
	n := newRotationNames("t-%S", RotateOptions{Seconds: 1, Files: 2, Location: time.UTC})
	at := time.Date(2024, 5, 6, 7, 8, 0, 0, time.UTC)
	var removed []string
	for i := range 5 {
		_, rm := n.next(at.Add(time.Duration(i) * time.Second))
		removed = append(removed, rm)
	}
	if want := []string{"", "", "t-00", "t-01", "t-02"}; !slices.Equal(removed, want) {
		t.Errorf("removed %q, want %q", removed, want)
	}
	// The same name again (a period shorter than the format's unit) is
	// overwritten, not removed.
	n = newRotationNames("t-%H", RotateOptions{Seconds: 1, Files: 1, Location: time.UTC})
	n.next(at)
	if _, rm := n.next(at.Add(time.Second)); rm != "" {
		t.Errorf("removed %q, the name of the new file", rm)
	}
}

// TestStrftimeAgainstDate compares every conversion with GNU date's,
// which formats with the C library's strftime.
func TestStrftimeAgainstDate(t *testing.T) {
	date, err := exec.LookPath("date")
	if err != nil {
		t.Skip("no date command")
	}
	pattern := strings.ReplaceAll(strftimeConversions, " ", "|")
	for _, sec := range []int64{0, 1700000000, 1714979289, 1735689599, 951825600} {
		cmd := exec.Command(date, "-u", "-d", "@"+strconv.FormatInt(sec, 10), "+"+pattern)
		cmd.Env = []string{"LC_ALL=C", "TZ=UTC"}
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("date: %v", err)
		}
		want := strings.TrimSuffix(string(out), "\n")
		got := string(appendStrftime(nil, pattern, time.Unix(sec, 0).UTC()))
		if got != want {
			t.Errorf("%d:\n got %q\nwant %q", sec, got, want)
		}
	}
}
