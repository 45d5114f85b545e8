package rdb

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// FUNCTION DUMP payloads (Redis's functionDumpCommand): every library as
// the RDB's FUNCTION2 record (the opcode, then its code as an RDB string),
// then the dump footer of DUMP payloads (RDB version, CRC-64), so that a
// payload moves between Tandem and Redis either way.

// AppendFunctionsDump appends the FUNCTION DUMP payload of the libraries
// whose codes are given (each with its "#!lua name=…" line) to dst; with
// compress, codes longer than 20 bytes are LZF-compressed, as Redis does
// under "rdbcompression yes".
func AppendFunctionsDump(dst []byte, codes [][]byte, compress bool) []byte {
	var out appendWriter = dst
	e := NewEncoder(&out, EncodeOptions{Compression: compress})
	e.started = true // no header: records only
	for _, code := range codes {
		e.raw(opFunction2)
		e.string(code)
	}
	e.Flush()
	start := len(dst)
	b := []byte(out)
	b = binary.LittleEndian.AppendUint16(b, Version)
	b = binary.LittleEndian.AppendUint64(b, CRC64(0, b[start:]))
	return b
}

// ErrFunctionsDump is wrapped by DecodeFunctionsDump's errors for a
// payload whose footer is right but whose records are not libraries; the
// error's text is Redis's reply for it (without "ERR ").
var ErrFunctionsDump = errors.New("bad functions payload")

// DecodeFunctionsDump returns the codes of the libraries in a FUNCTION
// DUMP payload (Redis's functionRestoreCommand): ErrDumpFooter when the
// footer is wrong, else an error wrapping ErrFunctionsDump whose text is
// what Redis answers ("given type is not a function", …). Records of the
// 7.0-rc format are converted as a file load converts them.
func DecodeFunctionsDump(p []byte) ([][]byte, error) {
	if _, err := VerifyDump(p, false); err != nil {
		return nil, err
	}
	body := p[:len(p)-dumpFooterLen]
	d := &decoder{r: reader{br: bufio.NewReaderSize(bytes.NewReader(body), max(min(len(body), 64<<10), 16))}, h: &collectFunctions{}}
	defer d.r.release()
	for d.r.offset() < int64(len(body)) {
		t, err := d.r.readByte()
		if err != nil {
			return nil, fmt.Errorf("%w: can not read data type", ErrFunctionsDump)
		}
		if t != opFunction && t != opFunction2 {
			return nil, fmt.Errorf("%w: given type is not a function", ErrFunctionsDump)
		}
		if err := d.readFunction(t); err != nil {
			msg := "Failed loading library payload"
			if t == opFunction {
				msg = "failed loading the given functions payload"
			}
			return nil, fmt.Errorf("%w: %s", ErrFunctionsDump, msg)
		}
	}
	return d.h.(*collectFunctions).codes, nil
}

// FunctionsDumpError is the reply text of an error from
// DecodeFunctionsDump (without "ERR ").
func FunctionsDumpError(err error) string {
	if errors.Is(err, ErrDumpFooter) {
		return ErrDumpFooter.Error()
	}
	msg := err.Error()
	if i := bytes.IndexByte([]byte(msg), ':'); i >= 0 && errors.Is(err, ErrFunctionsDump) {
		return msg[i+2:]
	}
	return msg
}

// collectFunctions keeps the libraries' codes a decoder finds.
type collectFunctions struct {
	NopHandler
	codes [][]byte
}

func (c *collectFunctions) Function(code []byte) error {
	c.codes = append(c.codes, bytes.Clone(code))
	return nil
}
