package filter

// Visitor is called by [Walk] for each node. If Visit returns a non-nil
// visitor w, Walk visits the node's children with w, then calls
// w.Visit(nil).
type Visitor interface {
	Visit(n Node) (w Visitor)
}

// Walk traverses the tree rooted at n in depth-first order, children in
// source order.
func Walk(v Visitor, n Node) {
	if v = v.Visit(n); v == nil {
		return
	}
	for _, c := range children(n) {
		Walk(v, c)
	}
	v.Visit(nil)
}

type inspector func(Node) bool

func (f inspector) Visit(n Node) Visitor {
	if f(n) {
		return f
	}
	return nil
}

// Inspect traverses the tree rooted at n in depth-first order, calling f
// for each node and then f(nil) after its children. When f returns false
// the node's children are skipped.
func Inspect(n Node, f func(Node) bool) {
	Walk(inspector(f), n)
}

// children returns the direct children of n in source order.
func children(n Node) []Node {
	switch n := n.(type) {
	case *Binary:
		return []Node{n.X, n.Y}
	case *Not:
		return []Node{n.X}
	case *Check:
		if n.Right == nil {
			return []Node{n.Left}
		}
		return []Node{n.Left, n.Right}
	case *Transform:
		return operandNodes(n.Args)
	case *ArgList:
		return operandNodes(n.Items)
	case *Val:
		return []Node{n.Field}
	case *List:
		out := make([]Node, len(n.Items))
		for i, it := range n.Items {
			out[i] = it
		}
		return out
	}
	return nil
}

func operandNodes(xs []Operand) []Node {
	out := make([]Node, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}
