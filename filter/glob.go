package filter

// globNeverMatches reports whether fnmatch(3), which Falco's glob and
// iglob use, fails on every string with pattern p: a pattern that ends
// inside an escape or a range ("ab\", "[a-") cannot be matched as a whole.
func globNeverMatches(p string) bool { return globProblem(p) != "" }

// globProblem explains why p can never match, or returns "".
func globProblem(p string) string {
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			if i+1 >= len(p) {
				return "it ends with a lone backslash"
			}
			i++
		case '[':
			end, msg := globBracket(p, i)
			if msg != "" {
				return msg
			}
			if end > i {
				i = end
			}
		}
	}
	return ""
}

// globBracket scans the bracket expression that starts at p[open] as
// fnmatch does when the character tested is not in it. It returns the
// index of the closing ']' (open when the bracket is not closed, and so
// stands for a literal '['), or why the pattern is malformed.
func globBracket(p string, open int) (int, string) {
	at := func(i int) byte {
		if i < len(p) {
			return p[i]
		}
		return 0
	}
	i := open + 1
	if c := at(i); c == '!' || c == '^' {
		i++
	}
	c := at(i)
	i++
	for {
		switch {
		case c == '\\':
			if at(i) == 0 {
				return 0, "it ends with a lone backslash inside [...]"
			}
			i++ // the escaped character is a member
		case c == '[' && at(i) == ':':
			if j, ok := globClassEnd(p, i); ok {
				i = j
				c = at(i)
				i++
				if c == ']' {
					return i - 1, ""
				}
				continue
			}
		case c == 0:
			return open, ""
		}
		// c is a member; a '-' after it makes a range unless ']' follows.
		c = at(i)
		i++
		if c == '-' && at(i) != ']' {
			end := at(i)
			i++
			if end == '\\' {
				end = at(i)
				i++
			}
			if end == 0 {
				return 0, "the range " + quote(p[open:]) + " has no end"
			}
			c = at(i)
			i++
		}
		if c == ']' {
			return i - 1, ""
		}
	}
}

// globClassEnd returns the index after the ":]" of a character class
// "[:name:]" whose "[:" is at p[i-1:i+1], when the name is made of the
// lower-case letters fnmatch looks for.
func globClassEnd(p string, i int) (int, bool) {
	for j := i + 1; j < len(p); j++ {
		c := p[j]
		if c == ':' && j+1 < len(p) && p[j+1] == ']' {
			return j + 2, true
		}
		if c < 'a' || c >= 'z' {
			return 0, false
		}
	}
	return 0, false
}
