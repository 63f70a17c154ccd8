package state

// appendJoin appends base followed by the relative path rel normalised the
// way sysdig normalises paths: "./" and a final "." dropped, "../" and a
// final ".." remove the previous component (never going above the start
// of base), repeated separators collapsed, a trailing separator removed,
// non-printable bytes replaced by '.'. An absolute rel ignores base.
func appendJoin(dst []byte, base string, rel []byte) []byte {
	start := len(dst)
	if len(rel) == 0 || rel[0] != '/' {
		dst = append(dst, base...)
	}
	pc := 0
	at := func(i int) byte {
		if i < len(rel) {
			return rel[i]
		}
		return 0
	}
	rewind := func(delta int) {
		if len(dst) <= start+1 {
			pc += delta
			return
		}
		dst = dst[:len(dst)-1]
		for len(dst) >= start+1 && dst[len(dst)-1] != '/' {
			dst = dst[:len(dst)-1]
		}
		pc += delta
	}
	for {
		c := at(pc)
		if c == 0 {
			if len(dst) > start+1 && dst[len(dst)-1] == '/' {
				dst = dst[:len(dst)-1]
			}
			return dst
		}
		switch {
		case c < 0x20 || c > 0x7e:
			dst = append(dst, '.')
			pc++
		case c == '.' && at(pc+1) == '.' && at(pc+2) == '/':
			rewind(3)
		case c == '.' && at(pc+1) == '.':
			if at(pc+2) == 0 {
				rewind(2)
			} else {
				dst = append(dst, '.', '.')
				pc += 2
			}
		case c == '.' && at(pc+1) == '/':
			pc += 2
		case c == '.':
			if at(pc+1) != 0 {
				dst = append(dst, '.')
			}
			pc++
		case c == '/':
			if len(dst) > start && dst[len(dst)-1] == '/' {
				pc++
			} else {
				dst = append(dst, '/')
				pc++
			}
		default:
			dst = append(dst, c)
			pc++
		}
	}
}

// dirOf returns a directory path with the trailing '/' that cwd values
// carry in the model.
func dirOf(p string) string {
	if len(p) == 0 || p[len(p)-1] != '/' {
		return p + "/"
	}
	return p
}

// appendSanitized appends the printable ASCII bytes of s.
func appendSanitized(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x20 && c <= 0x7e {
			dst = append(dst, c)
		}
	}
	return dst
}
