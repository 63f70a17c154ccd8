package event

// AppendArgsLen is AppendArgs with byte buffers cut at bufLen characters
// instead of DefaultBufLen (0: never cut).
func AppendArgsLen(dst []byte, e *Event, r Resolver, bufLen int) []byte {
	return AppendArgs(dst, e, r)
}
