// Command ruletags reads the JSON of "kestrel rules list --json" on stdin
// and prints every tag the rules use, one per line, for bench/rules.sh.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
)

func main() {
	var rules []struct {
		Tags []string `json:"tags"`
	}
	if err := json.NewDecoder(os.Stdin).Decode(&rules); err != nil {
		fmt.Fprintln(os.Stderr, "ruletags:", err)
		os.Exit(1)
	}
	seen := map[string]bool{}
	for _, r := range rules {
		for _, t := range r.Tags {
			seen[t] = true
		}
	}
	tags := make([]string, 0, len(seen))
	for t := range seen {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	for _, t := range tags {
		fmt.Println(t)
	}
}
