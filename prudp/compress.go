package prudp

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
)

// Compress compresses one payload chunk for a connection with compression
// on (prudp.md §8.3): a ratio byte floor(len(plain)/len(zlib))+1 followed
// by a complete zlib stream. A chunk whose ratio does not fit a byte, or
// an empty chunk, is sent uncompressed behind ratio 0. The zlib bytes are
// valid but not identical to C zlib's; receivers only inflate them.
func Compress(plain []byte) ([]byte, error) {
	if len(plain) == 0 {
		return []byte{0}, nil
	}
	var b bytes.Buffer
	b.Grow(len(plain)/2 + 32)
	b.WriteByte(0) // ratio, set below
	w := zlib.NewWriter(&b)
	if _, err := w.Write(plain); err != nil {
		return nil, fmt.Errorf("prudp: compress: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("prudp: compress: %w", err)
	}
	out := b.Bytes()
	ratio := len(plain)/(len(out)-1) + 1
	if ratio > 0xFF {
		return append([]byte{0}, plain...), nil
	}
	out[0] = byte(ratio)
	return out, nil
}

// Decompress undoes Compress. Ratio 0 returns the rest unchanged (aliasing
// b). Otherwise the output may not exceed limit, nor what the ratio byte
// announces (ratio × compressed length): a zip bomb stops there, so the
// allocation is bounded by min(limit, 255 × len(b)).
func Decompress(b []byte, limit int) ([]byte, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("prudp: decompress: %w: no ratio byte", ErrCompression)
	}
	ratio, comp := int(b[0]), b[1:]
	if ratio == 0 {
		if len(comp) > limit {
			return nil, fmt.Errorf("prudp: decompress: %w: %d bytes > limit %d", ErrTooLarge, len(comp), limit)
		}
		return comp, nil
	}
	bound := ratio * len(comp)
	if bound > limit {
		bound = limit
	}
	src := bytes.NewReader(comp)
	r, err := zlib.NewReader(src)
	if err != nil {
		return nil, fmt.Errorf("prudp: decompress: %w: %v", ErrCompression, err)
	}
	defer r.Close()
	out := make([]byte, 0, min(bound, 4*len(comp)+64))
	buf := bytes.NewBuffer(out)
	n, err := io.Copy(buf, io.LimitReader(r, int64(bound)+1))
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("prudp: decompress: %w: truncated zlib stream", ErrCompression)
		}
		return nil, fmt.Errorf("prudp: decompress: %w: %v", ErrCompression, err)
	}
	if n > int64(bound) {
		if bound == limit {
			return nil, fmt.Errorf("prudp: decompress: %w: more than limit %d", ErrTooLarge, limit)
		}
		return nil, fmt.Errorf("prudp: decompress: %w: inflates beyond ratio %d × %d bytes", ErrCompression, ratio, len(comp))
	}
	if src.Len() != 0 {
		return nil, fmt.Errorf("prudp: decompress: %w: %d bytes after the zlib stream", ErrCompression, src.Len())
	}
	return buf.Bytes(), nil
}
