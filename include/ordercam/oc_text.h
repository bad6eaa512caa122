/* Byte-level transforms on text before or around JSON parsing (the JSON
 * policy itself is oc_json): comment stripping for configs, base64 decoding, JSON string escaping.
 */
#ifndef OC_TEXT_H
#define OC_TEXT_H

#include <stddef.h>
#include "ordercam/oc_err.h"

/* Replaces // and block comments outside JSON strings with spaces, in place,
 * so that offsets (and line numbers) stay those of the original text.
 * Returns OC_EPARSE for an unterminated block comment. */
oc_err_t oc_text_strip_comments(char *buf, size_t len);

/* Decodes standard base64 (padding optional, whitespace not allowed) into
 * out, which must hold at least oc_text_b64_max(len) bytes. Sets *out_len.
 * Returns OC_EPARSE on a bad character or length. */
size_t oc_text_b64_max(size_t len);
oc_err_t oc_text_b64_decode(const char *in, size_t len, unsigned char *out, size_t *out_len);

/* Encodes len bytes as standard base64 with padding into out, which must
 * hold oc_text_b64_encoded_len(len) + 1 bytes; NUL-terminates; returns the
 * encoded length. */
size_t oc_text_b64_encoded_len(size_t len);
size_t oc_text_b64_encode(const void *in, size_t len, char *out);

/* Writes s as a JSON string literal (with quotes) into out, at most cap
 * bytes including the terminating NUL. Returns the length written, or
 * cap when it did not fit (out then holds a truncated, unusable string). */
size_t oc_text_json_quote(char *out, size_t cap, const char *s);

#endif
