package scap

// Buffered returns how many bytes were written to the Writer and not yet
// passed on, before compression: with what the underlying writer has
// received, the length of an uncompressed capture so far.
func (w *Writer) Buffered() int { return w.bw.Buffered() }
