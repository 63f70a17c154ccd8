package engine

import (
	"sort"
	"strconv"
	"strings"

	"github.com/kestrel-sec/kestrel/filter"
	"github.com/kestrel-sec/kestrel/rules"
)

// Falco puts lists into conditions as text before it parses them: each
// list in turn, in the order lists were first defined, replaces every
// occurrence of its name that stands between blanks, parentheses, commas
// or '=' (quotes do not protect it) by its items, quoted when they hold a
// blank and joined by ", ". So "proc.name in (shells)" holds the shells,
// "proc.name = one_item" compares with that item, and "proc.name =
// two_items" does not parse.
//
// Kestrel does the same, with one economy: where a list stands as an item
// of a parenthesised list of values, pasting its items is the same as
// splicing its values in, so the name is left there and the compiler uses
// the list's values, shared by every condition that names the list,
// instead of a copy per occurrence.

// maxCondition bounds the length of a condition once lists are pasted
// into it as text.
const maxCondition = 16 << 20

// falcoDelims are the bytes that may surround a list name Falco replaces.
const (
	falcoBlanks = " \t\n\r"
	falcoDelims = falcoBlanks + "(),="
)

// lists is the lists of a spec as conditions see them.
type lists struct {
	order  []*listInfo
	byName map[string]*listInfo
	// scans holds what is known of each slice of items, by its first
	// element: lists that share their items (aliases of one YAML
	// sequence) are looked at once.
	scans map[*string]*itemScan
	// textual is set when some list name holds a delimiter or a quote:
	// then no occurrence is spliced and every one is pasted as text.
	textual bool
}

// listInfo is one list: its items (lists inside it expanded one level, as
// Falco does) and, once needed, the text Falco pastes and the values it
// stands for.
type listInfo struct {
	name  string
	index int
	items []string

	sub     string
	subDone bool

	state  uint8 // listUnknown, listClean or listUnclean
	lv     *filter.ListValues
	values int // number of values pasted, lists spliced in counted
}

const (
	listUnknown uint8 = iota
	listClean
	listUnclean
)

func newLists(spec *rules.Spec) *lists {
	ls := &lists{byName: make(map[string]*listInfo, len(spec.Lists)), scans: map[*string]*itemScan{}}
	for i, l := range spec.Lists {
		li := &listInfo{name: l.Name, index: i, items: l.Expanded}
		ls.order = append(ls.order, li)
		ls.byName[l.Name] = li
		if l.Name == "" || strings.ContainsAny(l.Name, falcoDelims+`"'`) {
			ls.textual = true
		}
	}
	return ls
}

// paste returns the text Falco puts in place of the list's name.
func (li *listInfo) paste() string {
	if li.subDone {
		return li.sub
	}
	li.subDone = true
	if plainItems(li.items) {
		li.sub = strings.Join(li.items, ", ")
		return li.sub
	}
	var b strings.Builder
	for _, it := range li.items {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteItem(it))
	}
	li.sub = b.String()
	return li.sub
}

// itemScan is what a slice of items holds: whether every item is plain,
// and which items name a list.
type itemScan struct {
	n     int
	plain bool
	refs  []int
}

func (ls *lists) scan(items []string) *itemScan {
	if len(items) == 0 {
		return &itemScan{plain: true}
	}
	if s := ls.scans[&items[0]]; s != nil && s.n == len(items) {
		return s
	}
	s := &itemScan{n: len(items), plain: plainItems(items)}
	for i, it := range items {
		if ls.byName[it] != nil {
			s.refs = append(s.refs, i)
		}
	}
	ls.scans[&items[0]] = s
	return s
}

// plainItems reports whether every item is a bare value that stands for
// itself: no blank, quote, delimiter or escape.
func plainItems(items []string) bool {
	for _, it := range items {
		if it == "" || strings.ContainsAny(it, " \t\n\r\v\f\b()\",'=\\") {
			return false
		}
	}
	return true
}

// clean works out whether pasting the list where a list of values is
// expected amounts to splicing values in, and if so its values: each item
// pasted is a value, and names of lists defined later (which Falco
// replaces in turn) stand for those lists.
func (ls *lists) clean(li *listInfo) bool {
	if li.state != listUnknown {
		return li.state == listClean
	}
	li.state = listUnclean
	if ls.textual {
		return false
	}
	if sc := ls.scan(li.items); sc.plain && !ls.laterRef(li, sc) {
		li.lv = &filter.ListValues{Name: li.name, Values: li.items}
		li.values, li.state = len(li.items), listClean
		return true
	}
	tokens, ok := ls.listTokens(li)
	if !ok {
		return false
	}
	lv := &filter.ListValues{Name: li.name}
	n := 0
	for _, t := range tokens {
		if t.quoted {
			if ls.laterNameIn(t.raw, li.index) {
				return false
			}
			lv.Values = append(lv.Values, t.text)
			n++
			continue
		}
		if m := ls.byName[t.text]; m != nil && m.index > li.index {
			if !ls.clean(m) {
				return false
			}
			lv.Lists = append(lv.Lists, m.lv)
			n = min(n+m.values, 1<<30)
			continue
		}
		lv.Values = append(lv.Values, t.text)
		n++
	}
	li.lv, li.values, li.state = lv, n, listClean
	return true
}

// laterRef reports whether an item of li names a list defined after it.
func (ls *lists) laterRef(li *listInfo, sc *itemScan) bool {
	for _, i := range sc.refs {
		if ls.byName[li.items[i]].index > li.index {
			return true
		}
	}
	return false
}

// listToken is one value of a pasted list.
type listToken struct {
	text, raw string
	quoted    bool
}

// listTokens reads the pasted text of a list as the values of a
// parenthesised list; ok is false when it does not read as one.
func (ls *lists) listTokens(li *listInfo) ([]listToken, bool) {
	if ls.scan(li.items).plain {
		out := make([]listToken, len(li.items))
		for i, it := range li.items {
			out[i] = listToken{text: it, raw: it}
		}
		return out, true
	}
	const prefix = "evt.type in ("
	src := prefix + li.paste() + ")"
	x, err := filter.Parse(src)
	if err != nil {
		return nil, false
	}
	c, ok := x.(*filter.Check)
	if !ok {
		return nil, false
	}
	l, ok := c.Right.(*filter.List)
	if !ok || l.Loc.End.Offset != len(src) {
		return nil, false
	}
	out := make([]listToken, len(l.Items))
	for i, v := range l.Items {
		out[i] = listToken{text: v.Text, raw: src[v.Loc.Start.Offset:v.Loc.End.Offset], quoted: v.Quoted}
	}
	return out, true
}

// laterNameIn reports whether s holds, between delimiters, the name of a
// list defined after the list at index.
func (ls *lists) laterNameIn(s string, index int) bool {
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(falcoDelims, r) }) {
		if m := ls.byName[w]; m != nil && m.index > index {
			return true
		}
	}
	return false
}

// lookup is the compiler's list hook: the values of a list left in a
// list of values.
func (ls *lists) lookup(name string) (*filter.ListValues, bool) {
	li := ls.byName[name]
	if li == nil || !ls.clean(li) {
		return nil, false
	}
	return li.lv, true
}

// quoteItem double-quotes a value that holds a blank and is not quoted
// already, as Falco does.
func quoteItem(v string) string {
	if strings.Contains(v, " ") && v[0] != '"' && v[0] != '\'' {
		return `"` + v + `"`
	}
	return v
}

// seg is a run of a substituted condition: text copied from the original
// (orig is where it starts there) or a list's items pasted (orig is where
// the list's name was).
type seg struct {
	start, end int
	orig       int
	list       string // the pasted list, "" for copied text
}

// subst is a condition with lists substituted as Falco does.
type subst struct {
	text string
	segs []seg
	// keep holds the original offsets of list names left in place: in a
	// list of values, or where a list is wrong (errs says why).
	keep map[int]bool
	errs []substErr
}

// substErr is a problem with a list where it is named.
type substErr struct {
	orig int
	msg  string
}

// origin maps an offset of the substituted text to the original, with
// the list whose items hold it ("" when it was copied).
func (s *subst) origin(off int) (int, string) {
	i := sort.Search(len(s.segs), func(i int) bool { return s.segs[i].end > off })
	if i == len(s.segs) {
		if len(s.segs) == 0 {
			return off, ""
		}
		last := s.segs[len(s.segs)-1]
		if last.list != "" {
			return last.orig, last.list
		}
		return last.orig + (off - last.start), ""
	}
	sg := s.segs[i]
	if sg.list != "" {
		return sg.orig, sg.list
	}
	return sg.orig + max(off-sg.start, 0), ""
}

// failed reports whether the substituted text at off is a list name left
// in place because it is wrong there (reported already).
func (s *subst) failed(off int) bool {
	orig, list := s.origin(off)
	if list != "" || !s.keep[orig] {
		return false
	}
	for _, e := range s.errs {
		if e.orig == orig {
			return true
		}
	}
	return false
}

// kept reports whether the name at offset off of the substituted text is
// one left in place.
func (s *subst) kept(off int) bool {
	orig, list := s.origin(off)
	return list == "" && s.keep[orig]
}

// substitute puts the lists into cond as Falco does.
func (ls *lists) substitute(cond string) *subst {
	s := &subst{text: cond, segs: []seg{{start: 0, end: len(cond), orig: 0}}, keep: map[int]bool{}}
	if len(ls.order) == 0 {
		return s
	}
	ls.positions(cond, s)
	for _, li := range ls.order {
		if li.name == "" || !strings.Contains(s.text, li.name) {
			continue
		}
		if !s.pass(li) {
			s.errs = append(s.errs, substErr{0, "condition too long once lists are pasted into it: more than " +
				strconv.Itoa(maxCondition>>20) + " MiB"})
			s.text, s.segs = cond, []seg{{start: 0, end: len(cond)}}
			return s
		}
	}
	return s
}

// positions finds, in the original condition, the list names to leave in
// place: items of a list of values naming a list whose items splice in,
// and names of lists that stand for other than one value where one is
// needed (Falco's text would not parse; Kestrel says why).
func (ls *lists) positions(cond string, s *subst) {
	x, err := filter.Parse(cond)
	if err != nil || ls.textual {
		return
	}
	delimited := func(sp filter.Span) bool {
		a, b := sp.Start.Offset, sp.End.Offset
		return (a == 0 || strings.IndexByte(falcoDelims, cond[a-1]) >= 0) &&
			(b >= len(cond) || strings.IndexByte(falcoDelims, cond[b]) >= 0)
	}
	single := func(name string, sp filter.Span, why func(li *listInfo) string) {
		li := ls.byName[name]
		if li == nil || !delimited(sp) || !ls.clean(li) || li.values == 1 {
			return
		}
		has := "is empty"
		if li.values > 0 {
			has = "has " + strconv.Itoa(li.values) + " items"
		}
		s.keep[sp.Start.Offset] = true
		s.errs = append(s.errs, substErr{sp.Start.Offset, "list " + quote(li.name) + " " + has + why(li)})
	}
	filter.Inspect(x, func(n filter.Node) bool {
		switch n := n.(type) {
		case *filter.MacroRef:
			single(n.Name, n.Loc, func(*listInfo) string {
				return ", which Falco pastes here as text in place of a condition, where it does not parse"
			})
		case *filter.Check:
			op := n.Op.String()
			switch r := n.Right.(type) {
			case *filter.List:
				for _, v := range r.Items {
					if li := ls.byName[v.Text]; li != nil && !v.Quoted && delimited(v.Loc) && ls.clean(li) {
						s.keep[v.Loc.Start.Offset] = true
					}
				}
			case *filter.ListRef:
				single(r.Name, r.Loc, func(li *listInfo) string {
					return ", which Falco pastes here as text, without the parentheses " + op + " needs: write " + op + " (" + li.name + ")"
				})
			case *filter.Value:
				if !r.Quoted {
					single(r.Text, r.Loc, func(li *listInfo) string {
						return ", which Falco pastes here as text, but " + op + " compares with one value: write in (" + li.name + ") to test each item"
					})
				}
			}
		}
		return true
	})
}

// pass replaces the occurrences of one list's name, as Falco's
// resolve_list does; false when the text grows past maxCondition.
func (s *subst) pass(li *listInfo) bool {
	cnd, name := s.text, li.name
	var b []byte
	var segs []seg
	pos, search := 0, 0
	next := 0                 // the first segment that may overlap cnd[pos:]
	copyTo := func(end int) { // copies cnd[pos:end] with its segments
		for ; next < len(s.segs) && s.segs[next].end <= pos; next++ {
		}
		for _, sg := range s.segs[next:] {
			if sg.start >= end {
				break
			}
			a, z := max(sg.start, pos), min(sg.end, end)
			if a >= z {
				continue
			}
			n := seg{start: len(b) + (a - pos), orig: sg.orig, list: sg.list}
			n.end = n.start + (z - a)
			if sg.list == "" {
				n.orig = sg.orig + (a - sg.start)
			}
			segs = append(segs, n)
		}
		b = append(b, cnd[pos:end]...)
		pos = end
	}
	trim := func(n int) { // cuts b to n bytes
		b = b[:n]
		for len(segs) > 0 && segs[len(segs)-1].start >= n {
			segs = segs[:len(segs)-1]
		}
		if k := len(segs) - 1; k >= 0 && segs[k].end > n {
			segs[k].end = n
		}
	}
	for {
		i := strings.Index(cnd[search:], name)
		if i < 0 {
			break
		}
		start := search + i
		end := start + len(name)
		var before byte
		hasBefore := true
		switch {
		case start > pos:
			before = cnd[start-1]
		case len(b) > 0:
			before = b[len(b)-1]
		default:
			hasBefore = false
		}
		if hasBefore && strings.IndexByte(falcoDelims, before) < 0 ||
			end < len(cnd) && strings.IndexByte(falcoDelims, cnd[end]) < 0 {
			search = start + 1
			continue
		}
		if s.kept(start) {
			search = end
			continue
		}
		orig, _ := s.origin(start)
		copyTo(start)
		n := len(b)
		for n > 0 && strings.IndexByte(falcoBlanks, b[n-1]) >= 0 {
			n--
		}
		trim(n)
		e := end
		for e < len(cnd) && strings.IndexByte(falcoBlanks, cnd[e]) >= 0 {
			e++
		}
		sub := li.paste()
		if sub == "" {
			if len(b) > 0 && b[len(b)-1] == ',' {
				trim(len(b) - 1)
			} else if e < len(cnd) && cnd[e] == ',' {
				e++
			}
		}
		atStart := len(b) == 0
		if !atStart {
			b = append(b, ' ')
		}
		segs = append(segs, seg{start: len(b), end: len(b) + len(sub) + 1, orig: orig, list: li.name})
		b = append(b, sub...)
		b = append(b, ' ')
		if len(b)+len(cnd)-e > maxCondition {
			return false
		}
		pos = e
		search = e
		if atStart {
			search = min(e+1, len(cnd))
		}
	}
	copyTo(len(cnd))
	s.text, s.segs = string(b), mergeSegs(segs)
	return true
}

// mergeSegs drops empty segments.
func mergeSegs(segs []seg) []seg {
	out := segs[:0]
	for _, sg := range segs {
		if sg.end > sg.start {
			out = append(out, sg)
		}
	}
	return out
}
