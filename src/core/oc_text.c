#include "ordercam/oc_text.h"

#include <stdint.h>
#include <string.h>

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
#define PUT(ch)                                                                                    \
    do {                                                                                           \
        if (o + 1 >= cap)                                                                          \
            return cap;                                                                            \
        out[o++] = (ch);                                                                           \
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
