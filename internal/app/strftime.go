package app

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// strftimeConversions lists the conversions [appendStrftime] knows, the
// common ones of strftime(3).
const strftimeConversions = "%a %A %b %B %C %d %D %e %F %h %H %I %j %k %l %m %M %n %p %R %s %S %t %T %u %w %y %Y %z %Z %%"

// checkStrftime reports a conversion of pattern that [appendStrftime]
// does not know.
func checkStrftime(pattern string) error {
	for i := 0; i < len(pattern); i++ {
		if pattern[i] != '%' {
			continue
		}
		if i+1 == len(pattern) {
			return fmt.Errorf("%q ends with a lone %%", pattern)
		}
		i++
		if !strings.Contains(strftimeConversions, "%"+pattern[i:i+1]) {
			return fmt.Errorf("%q: %%%c is not a known time conversion (known: %s)", pattern, pattern[i], strftimeConversions)
		}
	}
	return nil
}

// appendStrftime appends t formatted by a strftime(3) pattern, in the C
// locale. Conversions it does not know are copied as they are.
func appendStrftime(dst []byte, pattern string, t time.Time) []byte {
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		if c != '%' || i+1 == len(pattern) {
			dst = append(dst, c)
			continue
		}
		i++
		dst = appendConversion(dst, pattern[i], t)
	}
	return dst
}

func appendConversion(dst []byte, c byte, t time.Time) []byte {
	switch c {
	case 'a':
		return append(dst, t.Weekday().String()[:3]...)
	case 'A':
		return append(dst, t.Weekday().String()...)
	case 'b', 'h':
		return append(dst, t.Month().String()[:3]...)
	case 'B':
		return append(dst, t.Month().String()...)
	case 'C':
		return pad(dst, t.Year()/100, 2, '0')
	case 'd':
		return pad(dst, t.Day(), 2, '0')
	case 'D':
		return appendStrftime(dst, "%m/%d/%y", t)
	case 'e':
		return pad(dst, t.Day(), 2, ' ')
	case 'F':
		return appendStrftime(dst, "%Y-%m-%d", t)
	case 'H':
		return pad(dst, t.Hour(), 2, '0')
	case 'I':
		return pad(dst, hour12(t), 2, '0')
	case 'j':
		return pad(dst, t.YearDay(), 3, '0')
	case 'k':
		return pad(dst, t.Hour(), 2, ' ')
	case 'l':
		return pad(dst, hour12(t), 2, ' ')
	case 'm':
		return pad(dst, int(t.Month()), 2, '0')
	case 'M':
		return pad(dst, t.Minute(), 2, '0')
	case 'n':
		return append(dst, '\n')
	case 'p':
		if t.Hour() < 12 {
			return append(dst, "AM"...)
		}
		return append(dst, "PM"...)
	case 'R':
		return appendStrftime(dst, "%H:%M", t)
	case 's':
		return strconv.AppendInt(dst, t.Unix(), 10)
	case 'S':
		return pad(dst, t.Second(), 2, '0')
	case 't':
		return append(dst, '\t')
	case 'T':
		return appendStrftime(dst, "%H:%M:%S", t)
	case 'u':
		return strconv.AppendInt(dst, int64((int(t.Weekday())+6)%7+1), 10)
	case 'w':
		return strconv.AppendInt(dst, int64(t.Weekday()), 10)
	case 'y':
		return pad(dst, t.Year()%100, 2, '0')
	case 'Y':
		return strconv.AppendInt(dst, int64(t.Year()), 10)
	case 'z':
		return t.AppendFormat(dst, "-0700")
	case 'Z':
		return t.AppendFormat(dst, "MST")
	case '%':
		return append(dst, '%')
	}
	return append(dst, '%', c)
}

func hour12(t time.Time) int {
	if h := t.Hour() % 12; h != 0 {
		return h
	}
	return 12
}

// pad appends v in at least width digits, filled on the left with fill.
func pad(dst []byte, v, width int, fill byte) []byte {
	s := strconv.Itoa(v)
	for n := len(s); n < width; n++ {
		dst = append(dst, fill)
	}
	return append(dst, s...)
}
