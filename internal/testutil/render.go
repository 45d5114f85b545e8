package testutil

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// RenderReply reads one RESP2/RESP3 reply and writes it in the scripts'
// notation. The notation keeps every distinction the bytes make (a null
// bulk is not a null array, a simple string is not a bulk one), so
// comparing renderings compares replies.
func RenderReply(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	if len(line) < 3 || !strings.HasSuffix(line, "\r\n") {
		return "", fmt.Errorf("bad line %q", line)
	}
	kind, body := line[0], line[1:len(line)-2]
	switch kind {
	case '+', '-', ':':
		return string(kind) + body, nil
	case ',':
		return "," + body, nil
	case '#':
		return "#" + body, nil
	case '_':
		return "_", nil
	case '$', '=':
		n, err := strconv.Atoi(body)
		if err != nil {
			return "", err
		}
		if n < 0 {
			return "nil", nil
		}
		b := make([]byte, n+2)
		if _, err := io.ReadFull(r, b); err != nil {
			return "", err
		}
		if kind == '=' {
			return "=" + strconv.Quote(string(b[:n])), nil
		}
		return strconv.Quote(string(b[:n])), nil
	case '*', '%', '~', '>':
		n, err := strconv.Atoi(body)
		if err != nil {
			return "", err
		}
		if n < 0 {
			return "*nil", nil
		}
		if kind == '%' {
			n *= 2
		}
		parts := make([]string, n)
		for i := range parts {
			if parts[i], err = RenderReply(r); err != nil {
				return "", err
			}
		}
		open := map[byte]string{'*': "[", '%': "%{", '~': "~[", '>': ">["}[kind]
		close := "]"
		if kind == '%' {
			close = "}"
		}
		return open + strings.Join(parts, " ") + close, nil
	}
	return "", fmt.Errorf("unknown reply type %q", line)
}
