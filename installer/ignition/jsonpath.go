package ignition

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// pathAt returns the JSON path ($.a.b.0.c) of the value at line and column
// (1-based) of data, for errors that the parser reports only by position
// (a number where a string belongs). It returns "" when it cannot tell.
func pathAt(data []byte, line, col int) string {
	if line < 1 || col < 1 {
		return ""
	}
	off := 0
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(data[off:], '\n')
		if i < 0 {
			return ""
		}
		off += i + 1
	}
	off += col - 1
	type frame struct {
		array  bool
		index  int
		key    string
		expKey bool // in an object, the next string is a key
	}
	var stack []*frame
	path := func() string {
		parts := []string{"$"}
		for _, f := range stack {
			if f.array {
				parts = append(parts, fmt.Sprint(f.index))
			} else {
				parts = append(parts, f.key)
			}
		}
		return strings.Join(parts, ".")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if s, ok := tok.(string); ok && top != nil && !top.array && top.expKey {
			top.key, top.expKey = s, false
			continue
		}
		here := path()
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{expKey: true})
		case json.Delim('['):
			stack = append(stack, &frame{array: true, index: -1})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		if int(dec.InputOffset()) > off {
			return here
		}
		// The next value in the enclosing container.
		if len(stack) > 0 {
			f := stack[len(stack)-1]
			if tok == json.Delim('[') {
				f.index = 0
				continue
			}
			if tok == json.Delim('{') {
				continue
			}
			if f.array {
				f.index++
			} else {
				f.expKey = true
			}
		}
	}
}
