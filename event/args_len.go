package event

// AppendArgsLen is AppendArgs with byte buffers cut at bufLen characters
// instead of DefaultBufLen (0: never cut), as sysdig's JSON output needs.
func AppendArgsLen(dst []byte, e *Event, r Resolver, bufLen int) []byte {
	return appendArgs(dst, e, r, bufLen)
}
