package jsonsrc

import (
	"errors"
	"fmt"
	"math"
)

// Kind is the type of a JSON value.
type Kind uint8

// The kinds of JSON values; Missing is the kind of a value that is not
// there.
const (
	Missing Kind = iota
	Null
	False
	True
	Number
	String
	Array
	Object
)

var kindNames = [...]string{"missing", "null", "false", "true", "number", "string", "array", "object"}

// String returns the kind's name.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// MaxDepth bounds the nesting of arrays and objects in a document.
const MaxDepth = 256

// ErrSyntax is wrapped by every parse error.
var ErrSyntax = errors.New("invalid JSON")

// node is one value of a document, in document order: an object's nodes
// are its key and value nodes, alternately.
type node struct {
	start, end uint32 // the value's bytes (a string's with its quotes)
	skip       uint32 // index of the first node after this value's subtree
	kind       Kind
	esc        bool // a string holding escapes
}

// Doc is a parsed JSON document. It views the bytes given to [Doc.Parse],
// which must stay unchanged while the Doc is read. A Doc is reused from
// one document to the next and then allocates nothing once its storage
// has grown to the largest document.
type Doc struct {
	data  []byte
	nodes []node
}

// Parse parses data, one JSON value with optional blanks around it.
func (d *Doc) Parse(data []byte) error {
	d.data, d.nodes = nil, d.nodes[:0]
	if len(data) >= math.MaxUint32 {
		return fmt.Errorf("%w: document of %d bytes is too large", ErrSyntax, len(data))
	}
	p := parser{d: d, data: data}
	p.blanks()
	if err := p.value(0); err != nil {
		d.nodes = d.nodes[:0]
		return err
	}
	p.blanks()
	if p.i != len(data) {
		d.nodes = d.nodes[:0]
		return p.errorf("unexpected %s after the value", p.describe())
	}
	d.data = data
	return nil
}

// Bytes returns the document's bytes.
func (d *Doc) Bytes() []byte { return d.data }

// Root returns the document's value; it is missing when no document has
// been parsed.
func (d *Doc) Root() Value {
	if len(d.nodes) == 0 {
		return Value{}
	}
	return Value{d: d, i: 0}
}

type parser struct {
	d    *Doc
	data []byte
	i    int
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("%w at offset %d: %s", ErrSyntax, p.i, fmt.Sprintf(format, args...))
}

func (p *parser) describe() string {
	if p.i >= len(p.data) {
		return "end of input"
	}
	return fmt.Sprintf("%q", p.data[p.i])
}

func (p *parser) blanks() {
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// push adds a node for a value starting at the current offset.
func (p *parser) push(k Kind) int {
	p.d.nodes = append(p.d.nodes, node{start: uint32(p.i), kind: k})
	return len(p.d.nodes) - 1
}

// finish closes node n at the current offset.
func (p *parser) finish(n int) {
	p.d.nodes[n].end = uint32(p.i)
	p.d.nodes[n].skip = uint32(len(p.d.nodes))
}

func (p *parser) value(depth int) error {
	if p.i >= len(p.data) {
		return p.errorf("unexpected end of input, expected a value")
	}
	switch c := p.data[p.i]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		return p.str()
	case c == 't':
		return p.literal("true", True)
	case c == 'f':
		return p.literal("false", False)
	case c == 'n':
		return p.literal("null", Null)
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	}
	return p.errorf("unexpected %s, expected a value", p.describe())
}

func (p *parser) literal(word string, k Kind) error {
	if len(p.data)-p.i < len(word) || string(p.data[p.i:p.i+len(word)]) != word {
		return p.errorf("unexpected %s, expected %s", p.describe(), word)
	}
	n := p.push(k)
	p.i += len(word)
	p.finish(n)
	return nil
}

func (p *parser) object(depth int) error {
	if depth >= MaxDepth {
		return p.errorf("nesting deeper than %d", MaxDepth)
	}
	n := p.push(Object)
	p.i++
	p.blanks()
	if p.i < len(p.data) && p.data[p.i] == '}' {
		p.i++
		p.finish(n)
		return nil
	}
	for {
		p.blanks()
		if p.i >= len(p.data) || p.data[p.i] != '"' {
			return p.errorf("unexpected %s, expected an object key", p.describe())
		}
		if err := p.str(); err != nil {
			return err
		}
		p.blanks()
		if p.i >= len(p.data) || p.data[p.i] != ':' {
			return p.errorf("unexpected %s, expected ':'", p.describe())
		}
		p.i++
		p.blanks()
		if err := p.value(depth + 1); err != nil {
			return err
		}
		p.blanks()
		if done, err := p.sep('}'); done || err != nil {
			p.finish(n)
			return err
		}
	}
}

func (p *parser) array(depth int) error {
	if depth >= MaxDepth {
		return p.errorf("nesting deeper than %d", MaxDepth)
	}
	n := p.push(Array)
	p.i++
	p.blanks()
	if p.i < len(p.data) && p.data[p.i] == ']' {
		p.i++
		p.finish(n)
		return nil
	}
	for {
		p.blanks()
		if err := p.value(depth + 1); err != nil {
			return err
		}
		p.blanks()
		if done, err := p.sep(']'); done || err != nil {
			p.finish(n)
			return err
		}
	}
}

// sep reads the ',' between members or the closing byte.
func (p *parser) sep(closing byte) (done bool, err error) {
	if p.i >= len(p.data) {
		return true, p.errorf("unexpected end of input, expected ',' or '%c'", closing)
	}
	switch p.data[p.i] {
	case ',':
		p.i++
		return false, nil
	case closing:
		p.i++
		return true, nil
	}
	return true, p.errorf("unexpected %s, expected ',' or '%c'", p.describe(), closing)
}

func (p *parser) str() error {
	n := p.push(String)
	p.i++
	for p.i < len(p.data) {
		c := p.data[p.i]
		switch {
		case c == '"':
			p.i++
			p.finish(n)
			return nil
		case c == '\\':
			p.d.nodes[n].esc = true
			if err := p.escape(); err != nil {
				return err
			}
		case c < 0x20:
			return p.errorf("control character %#x in a string", c)
		default:
			p.i++
		}
	}
	return p.errorf("unterminated string")
}

func (p *parser) escape() error {
	if p.i+1 >= len(p.data) {
		return p.errorf("unterminated escape")
	}
	switch p.data[p.i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		p.i += 2
		return nil
	case 'u':
		if p.i+6 > len(p.data) {
			return p.errorf("short \\u escape")
		}
		for _, h := range p.data[p.i+2 : p.i+6] {
			if hexVal(h) < 0 {
				return p.errorf("bad \\u escape")
			}
		}
		p.i += 6
		return nil
	}
	p.i++
	return p.errorf("bad escape %s", p.describe())
}

func (p *parser) number() error {
	n := p.push(Number)
	if p.data[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(p.data) && p.data[p.i] == '0':
		p.i++
	case p.digits() == 0:
		return p.errorf("unexpected %s in a number", p.describe())
	}
	if p.i < len(p.data) && p.data[p.i] == '.' {
		p.i++
		if p.digits() == 0 {
			return p.errorf("unexpected %s in a number", p.describe())
		}
	}
	if p.i < len(p.data) && (p.data[p.i] == 'e' || p.data[p.i] == 'E') {
		p.i++
		if p.i < len(p.data) && (p.data[p.i] == '+' || p.data[p.i] == '-') {
			p.i++
		}
		if p.digits() == 0 {
			return p.errorf("unexpected %s in a number", p.describe())
		}
	}
	p.finish(n)
	return nil
}

func (p *parser) digits() int {
	start := p.i
	for p.i < len(p.data) && p.data[p.i] >= '0' && p.data[p.i] <= '9' {
		p.i++
	}
	return p.i - start
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
