// Package rmc implements the RMC message layer of NEX (docs/rmc.md): the
// packed message framing, the result-code table, and a Reader/Writer pair
// for every NEX wire type, on which the schema package builds typed method
// decoders.
//
// # Byte-exact round trips
//
// A transparent proxy must forward what it does not edit unchanged, so the
// package is built around re-encoding without loss:
//
//   - Parse accepts only canonical framing (see Parse), so Encode of a parsed
//     message always reproduces its bytes.
//   - Reader.StructEnd and Reader.AnyDataEnd return the content bytes a
//     decoder did not understand (fields of a newer structure revision);
//     Writer.StructEnd(tail) writes them back and recomputes the length.
//   - Strings: Reader.String is lenient (null form 00 00 reads as "", trailing
//     NULs stripped). Reader.StringRaw reports the null form (write it back
//     with Writer.StringNull) and keeps extra NULs; Reader.StringBytes and
//     Writer.StringBytes carry the exact content for any other oddity.
//   - StationURL keeps parameter order, unknown keys, the "#" custom section
//     and a trailing ";", and edits values in place.
//   - Bool reads any non-zero byte as true; schemas that must preserve the
//     exact byte read it with U8.
//
// # Hostile input
//
// Every Reader method is safe on arbitrary bytes: reads never run past the
// input or the innermost structure, no allocation exceeds the remaining
// input (list counts are checked against it), and errors are sticky: after
// the first one every read returns the zero value and Err returns a
// *DecodeError wrapping ErrShort or ErrInvalid with the offset and the kind
// of value. Decoders therefore read a whole structure and check Err once.
//
// # Structure headers
//
// With Settings.StructHeader every structure level carries a u8 version and
// u32 length. StructBegin/StructEnd are called for every level whether or not
// headers are on, so schema code is the same for both; without headers they
// impose no limit and return version 0 and a nil tail. AnyDataBegin/End
// frame a polymorphic holder the same way; AnyDataRaw passes one through.
//
// # Performance
//
// Readers and Writers can be reused (Reader.Reset, Writer.Reset) and do not
// allocate for shallow nesting; byte-slice results alias the input, so
// callers copy what they keep beyond the message's lifetime.
//
// # Deviations from the contract first sketched
//
// The Writer's getter is Bytes() []byte, so the raw-append mirror of
// Reader.Bytes is Writer.Raw (and Write, making Writer an io.Writer).
package rmc
