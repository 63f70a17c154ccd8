package github

import "bytes"

// minerWords are the words that mark a crypto miner in a workflow file,
// as the github plugin looks for them: miner programs, mining pools and
// protocols. A line counts once, for the first word it holds (case
// matters).
var minerWords = [...]string{
	"xmrig", "ccminer", "t-rex", "stratum", "pool", "hashrate", "cryptonight",
	"wallet", "gminer", "gpuminer", "cpuminer", "nanominer", "nicehash",
	"xmr-stak", "nbminer", "srbminer", "hiveos", "ethermine", "kryptex",
	"2miners", "betterhash", "minerstat", "raveos", "f2pool", "unmineable",
	"minergate", "cryptotab", "lolminer", "phoenixminer",
}

// minerMatch is a miner found on a line of a workflow file, as the event
// records it.
type minerMatch struct {
	Line uint64 `json:"line"`
	Type string `json:"type"`
}

// workflowMiners are the miners found in one workflow file.
type workflowMiners struct {
	Name    string       `json:"name"`
	Matches []minerMatch `json:"matches"`
}

// findMiner returns the first miner word line holds, or "".
func findMiner(line []byte) string {
	for _, w := range minerWords {
		if bytes.Contains(line, []byte(w)) {
			return w
		}
	}
	return ""
}

// scanWorkflow returns the miners in a workflow file, with their lines
// counted from 1.
func scanWorkflow(content []byte) []minerMatch {
	out := []minerMatch{}
	for n := uint64(1); len(content) > 0; n++ {
		var line []byte
		line, content, _ = bytes.Cut(content, []byte{'\n'})
		if w := findMiner(line); w != "" {
			out = append(out, minerMatch{Line: n, Type: w})
		}
	}
	return out
}
