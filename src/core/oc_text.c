#include "ordercam/oc_text.h"

#include <stdint.h>
#include <string.h>

/* Length of the UTF-8 sequence starting at p (1..4), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *p, size_t avail)
{
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        if (avail < 2 || (p[1] & 0xC0) != 0x80)
            return 0;
        return 2;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        if (avail < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
            return 0;
        if (c == 0xE0 && p[1] < 0xA0)
            return 0; /* overlong */
        if (c == 0xED && p[1] >= 0xA0)
            return 0; /* UTF-16 surrogate */
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (avail < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
            (p[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && p[1] < 0x90)
            return 0;
        if (c == 0xF4 && p[1] >= 0x90)
            return 0; /* above U+10FFFF */
        return 4;
    }
    return 0;
}

/* Byte classes for the scan: most bytes are plain and cost one lookup in
 * the tight loop below; bytes >= 0x80 start a UTF-8 sequence. */
enum { C_PLAIN, C_QUOTE, C_BSLASH, C_OPEN, C_CLOSE, C_HIGH };

#define H4 C_HIGH, C_HIGH, C_HIGH, C_HIGH
#define H16 H4, H4, H4, H4
static const unsigned char byte_class[256] = {
    ['"'] = C_QUOTE, ['\\'] = C_BSLASH, ['{'] = C_OPEN, ['['] = C_OPEN, ['}'] = C_CLOSE,
    [']'] = C_CLOSE, [0x80] = H16, H16, H16, H16, H16, H16, H16, H16,
};

oc_err_t oc_text_check_json(const char *buf, size_t len, int max_depth)
{
    const unsigned char *p = (const unsigned char *)buf;
    int depth = 0, in_str = 0;
    size_t i = 0;
    for (;;) {
        while (i + 4 <= len && !(byte_class[p[i]] | byte_class[p[i + 1]] |
                                 byte_class[p[i + 2]] | byte_class[p[i + 3]]))
            i += 4;
        while (i < len && byte_class[p[i]] == C_PLAIN)
            i++;
        if (i >= len)
            return OC_OK;
        switch (byte_class[p[i]]) {
        case C_HIGH: {
            size_t n = utf8_seq(p + i, len - i);
            if (n == 0)
                return OC_EPARSE;
            i += n;
            break;
        }
        case C_QUOTE: in_str = !in_str; i++; break;
        /* the escaped byte is ASCII in valid JSON; cJSON judges the rest */
        case C_BSLASH: i += in_str ? 2 : 1; break;
        case C_OPEN:
            if (!in_str && ++depth > max_depth)
                return OC_ELIMIT;
            i++;
            break;
        default: /* C_CLOSE */
            depth -= !in_str;
            i++;
            break;
        }
    }
}

oc_err_t oc_text_strip_comments(char *buf, size_t len)
{
    size_t i = 0;
    int in_str = 0;
    while (i < len) {
        char c = buf[i];
        if (in_str) {
            if (c == '\\' && i + 1 < len)
                i++;
            else if (c == '"')
                in_str = 0;
            i++;
            continue;
        }
        if (c == '"') {
            in_str = 1;
            i++;
        } else if (c == '/' && i + 1 < len && buf[i + 1] == '/') {
            while (i < len && buf[i] != '\n')
                buf[i++] = ' ';
        } else if (c == '/' && i + 1 < len && buf[i + 1] == '*') {
            buf[i] = buf[i + 1] = ' ';
            i += 2;
            for (;;) {
                if (i + 1 >= len)
                    return OC_EPARSE;
                if (buf[i] == '*' && buf[i + 1] == '/') {
                    buf[i] = buf[i + 1] = ' ';
                    i += 2;
                    break;
                }
                if (buf[i] != '\n')
                    buf[i] = ' ';
                i++;
            }
        } else {
            i++;
        }
    }
    return OC_OK;
}

size_t oc_text_b64_max(size_t len)
{
    return (len / 4 + 1) * 3;
}

static int b64_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

oc_err_t oc_text_b64_decode(const char *in, size_t len, unsigned char *out, size_t *out_len)
{
    const unsigned char *p = (const unsigned char *)in;
    while (len > 0 && p[len - 1] == '=')
        len--;
    if (len % 4 == 1)
        return OC_EPARSE;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64_val(p[i]);
        if (v < 0)
            return OC_EPARSE;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    *out_len = o;
    return OC_OK;
}

size_t oc_text_json_quote(char *out, size_t cap, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
#define PUT(ch)                                                                   \
    do {                                                                          \
        if (o + 1 >= cap)                                                         \
            return cap;                                                           \
        out[o++] = (ch);                                                          \
    } while (0)
    PUT('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            PUT('\\');
            PUT((char)c);
        } else if (c == '\n') {
            PUT('\\');
            PUT('n');
        } else if (c == '\t') {
            PUT('\\');
            PUT('t');
        } else if (c == '\r') {
            PUT('\\');
            PUT('r');
        } else if (c < 0x20) {
            PUT('\\');
            PUT('u');
            PUT('0');
            PUT('0');
            PUT(hex[c >> 4]);
            PUT(hex[c & 15]);
        } else {
            PUT((char)c);
        }
    }
    PUT('"');
#undef PUT
    out[o] = '\0';
    return o;
}

size_t oc_text_b64_encoded_len(size_t len)
{
    return (len + 2) / 3 * 4;
}

size_t oc_text_b64_encode(const void *in, size_t len, char *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *p = in;
    size_t o = 0, i = 0;
    for (; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = tab[(v >> 6) & 63];
        out[o++] = tab[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0);
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
    return o;
}
