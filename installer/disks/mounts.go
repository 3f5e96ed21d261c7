package disks

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

type mount struct {
	target, fstype, source string
}

// readMountinfo maps "major:minor" to the mounts of that device.
func readMountinfo(path string) map[string][]mount {
	out := map[string][]mount{}
	f, err := os.Open(path)
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		// id parent maj:min root target options [optional...] - fstype source superoptions
		sep := -1
		for i, f := range fields {
			if f == "-" && i >= 6 {
				sep = i
				break
			}
		}
		if len(fields) < 5 || sep < 0 || sep+2 >= len(fields) {
			continue
		}
		out[fields[2]] = append(out[fields[2]], mount{target: unescape(fields[4]), fstype: fields[sep+1], source: unescape(fields[sep+2])})
	}
	return out
}

// unescape decodes mountinfo's octal escapes (\040 for a blank).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// readSwaps returns the device paths in /proc/swaps.
func readSwaps(path string) map[string]bool {
	out := map[string]bool{}
	b, err := os.ReadFile(path)
	if err != nil {
		return out
	}
	for i, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if i == 0 || len(f) < 2 || f[1] != "partition" {
			continue
		}
		out[unescape(f[0])] = true
	}
	return out
}
