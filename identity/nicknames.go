package identity

import (
	_ "embed"
	"strings"
	"sync"
)

// nicknamesCSV is the hand-compiled table of given-name groups.
//
//go:embed nicknames.csv
var nicknamesCSV string

// nicknameGroups maps a given name to the groups (line numbers) it is
// in. It is parsed once, on first use.
var nicknameGroups = sync.OnceValue(func() map[string][]int {
	groups := map[string][]int{}
	for i, line := range strings.Split(nicknamesCSV, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		for _, name := range strings.Split(line, ",") {
			if name = strings.TrimSpace(name); name != "" {
				groups[name] = append(groups[name], i)
			}
		}
	}
	return groups
})

// nicknames reports whether two different given names are forms of one
// name (WILLIAM and BILL, BILL and WILL, KATHERINE and CATHERINE).
func nicknames(a, b string) bool {
	if a == b {
		return false
	}
	g := nicknameGroups()
	for _, x := range g[a] {
		for _, y := range g[b] {
			if x == y {
				return true
			}
		}
	}
	return false
}
