// Package glob matches shell patterns the way fnmatch(3) does without
// flags, for the glob and iglob filter operators and the fields that take
// a pattern (container.mount.dest[/var/run/*]).
package glob

// Match reports whether s matches the shell pattern p, as fnmatch does
// without FNM_PATHNAME: '*' matches any run of bytes, '/' included; '?'
// one byte; "[...]" one byte of a set (ranges a-z, negated by a leading
// '!' or '^'); a backslash makes the next byte literal. With fold, ASCII
// case is ignored. It backtracks only to the latest '*', so the cost is
// at most len(p)*len(s).
func Match[T string | []byte](p string, s T, fold bool) bool {
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		if pi < len(p) {
			switch c := p[pi]; c {
			case '*':
				starP, starS = pi, si
				pi++
				continue
			case '?':
				pi++
				si++
				continue
			case '[':
				if ok, next, valid := matchClass(p, pi, s[si], fold); valid {
					if ok {
						pi, si = next, si+1
						continue
					}
				} else if eqByte(c, s[si], fold) {
					pi, si = pi+1, si+1
					continue
				}
			case '\\':
				if pi+1 < len(p) && eqByte(p[pi+1], s[si], fold) {
					pi, si = pi+2, si+1
					continue
				}
			default:
				if eqByte(c, s[si], fold) {
					pi, si = pi+1, si+1
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starS++
		pi, si = starP+1, starS
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c - 'A' + 'a'
	}
	return c
}

func eqByte(a, b byte, fold bool) bool {
	if fold {
		return lowerASCII(a) == lowerASCII(b)
	}
	return a == b
}

// matchClass matches c against the class that starts at p[i] == '['. It
// returns whether c is in it, the index after the class, and whether the
// class is well formed (an unclosed '[' is a literal).
func matchClass(p string, i int, c byte, fold bool) (match bool, next int, valid bool) {
	j := i + 1
	neg := j < len(p) && (p[j] == '!' || p[j] == '^')
	if neg {
		j++
	}
	if fold {
		c = lowerASCII(c)
	}
	first := true
	for j < len(p) && (first || p[j] != ']') {
		first = false
		lo := p[j]
		if lo == '\\' && j+1 < len(p) {
			j++
			lo = p[j]
		}
		hi := lo
		if j+2 < len(p) && p[j+1] == '-' && p[j+2] != ']' {
			hi = p[j+2]
			j += 2
		}
		j++
		if fold {
			lo, hi = lowerASCII(lo), lowerASCII(hi)
		}
		if lo <= c && c <= hi {
			match = true
		}
	}
	if j >= len(p) {
		return false, 0, false
	}
	return match != neg, j + 1, true
}
