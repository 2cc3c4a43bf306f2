/*
 * devtrip_eventd_event.h — what a C plugin needs to read a DevTrip event and
 * to name its follow-ups, header-only (static inline; no library to link).
 * Not part of the ABI: a plugin may copy, change or ignore it.
 *
 *  - dte_event_header: a record header's value by name.
 *  - dte_event_payload: the payload's JSON in both wire forms. In CloudEvents
 *    binary mode (a `ce_type` header) `event->value` is the bare payload; in
 *    JSON-envelope mode it is the whole envelope and the payload is its
 *    top-level "payload" field.
 *  - dte_json_field / dte_json_string_field: a top-level field of a JSON
 *    object, raw or as an unescaped string (\uXXXX escapes become UTF-8).
 *  - dte_follow_up_id: the deterministic follow-up id, the same string the
 *    Swift SDK's `Event.followUpID(_:plugin:)` returns for the same event id,
 *    plugin name and index, so a follow-up sent again after a crash keeps its
 *    id and downstream ledgers see a duplicate, whatever language sent it.
 *
 * The JSON reader is strict about structure (it walks every nested value to
 * find the end of each field) and bounded (it never reads past `len`); it
 * does not check number syntax or UTF-8 validity inside strings.
 */
#ifndef DEVTRIP_EVENTD_EVENT_H
#define DEVTRIP_EVENTD_EVENT_H

#include "devtrip_eventd_plugin.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Results of the readers below (a string's length is returned as >= 0). */
#define DTE_JSON_ABSENT (-1)      /* no such field (or header) */
#define DTE_JSON_NOT_STRING (-2)  /* the field is there but not a string (null, a number, an object, ...) */
#define DTE_JSON_TOO_SMALL (-3)   /* the string and its NUL do not fit in `cap` bytes */
#define DTE_JSON_MALFORMED (-4)   /* not a JSON object, or a broken one (also a \u0000 escape) */

/* "fu-" + 32 lowercase hex digits + NUL. */
#define DTE_FOLLOW_UP_ID_SIZE 36u

/* Finds header `name`; sets *value (may be NULL: a null header) and *len.
 * Returns 0, or DTE_JSON_ABSENT when the record has no such header. */
static inline int dte_event_header(const dte_event *event, const char *name, const void **value, size_t *len) {
    for (size_t i = 0; i < event->header_count; i++) {
        if (event->headers[i].name && strcmp(event->headers[i].name, name) == 0) {
            *value = event->headers[i].value;
            *len = event->headers[i].value_len;
            return 0;
        }
    }
    return DTE_JSON_ABSENT;
}

/* Internal: skips JSON whitespace. */
static inline size_t dte_json_space(const char *s, size_t len, size_t i) {
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
    return i;
}

/* Internal: index just past the string starting at s[i] == '"', or 0 when broken. */
static inline size_t dte_json_string_end(const char *s, size_t len, size_t i) {
    for (i++; i < len; i++) {
        if (s[i] == '\\') i++;
        else if (s[i] == '"') return i + 1;
    }
    return 0;
}

/* Internal: index just past the value starting at s[i], or 0 when broken. */
static inline size_t dte_json_value_end(const char *s, size_t len, size_t i) {
    if (i >= len) return 0;
    if (s[i] == '"') return dte_json_string_end(s, len, i);
    if (s[i] == '{' || s[i] == '[') {
        int depth = 0;
        for (; i < len; i++) {
            char c = s[i];
            if (c == '"') {
                size_t end = dte_json_string_end(s, len, i);
                if (end == 0) return 0;
                i = end - 1;
            } else if (c == '{' || c == '[') {
                if (++depth > 64) return 0;
            } else if (c == '}' || c == ']') {
                if (--depth == 0) return i + 1;
            }
        }
        return 0;
    }
    size_t start = i;
    while (i < len && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') i++;
    return i > start ? i : 0;
}

/* Finds the top-level field `name` of the JSON object in json[0..<len];
 * sets *value and *value_len to the field's raw JSON value (a string keeps
 * its quotes). Returns 0, DTE_JSON_ABSENT or DTE_JSON_MALFORMED. The key is
 * compared byte for byte: a key spelled with escapes does not match. */
static inline int dte_json_field(const void *json, size_t len, const char *name, const char **value, size_t *value_len) {
    const char *s = (const char *)json;
    size_t name_len = strlen(name);
    if (!s) return DTE_JSON_MALFORMED;
    size_t i = dte_json_space(s, len, 0);
    if (i >= len || s[i] != '{') return DTE_JSON_MALFORMED;
    i = dte_json_space(s, len, i + 1);
    if (i < len && s[i] == '}') return DTE_JSON_ABSENT;
    while (i < len) {
        if (s[i] != '"') return DTE_JSON_MALFORMED;
        size_t key_end = dte_json_string_end(s, len, i);
        if (key_end == 0) return DTE_JSON_MALFORMED;
        int match = key_end - i - 2 == name_len && memcmp(s + i + 1, name, name_len) == 0;
        i = dte_json_space(s, len, key_end);
        if (i >= len || s[i] != ':') return DTE_JSON_MALFORMED;
        i = dte_json_space(s, len, i + 1);
        size_t end = dte_json_value_end(s, len, i);
        if (end == 0) return DTE_JSON_MALFORMED;
        if (match) {
            *value = s + i;
            *value_len = end - i;
            return 0;
        }
        i = dte_json_space(s, len, end);
        if (i < len && s[i] == '}') return DTE_JSON_ABSENT;
        if (i >= len || s[i] != ',') return DTE_JSON_MALFORMED;
        i = dte_json_space(s, len, i + 1);
    }
    return DTE_JSON_MALFORMED;
}

/* Internal: the value of one hex digit, or -1. */
static inline int dte_json_hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Internal: four hex digits at s[i..<i+4], or -1. */
static inline long dte_json_u16(const char *s, size_t end, size_t i) {
    if (i + 4 > end) return -1;
    long v = 0;
    for (size_t k = 0; k < 4; k++) {
        int d = dte_json_hex(s[i + k]);
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

/* Copies the top-level string field `name` of the JSON object in
 * json[0..<len] into out, unescaped and NUL-terminated. Returns its length in
 * bytes (without the NUL), or DTE_JSON_ABSENT, DTE_JSON_NOT_STRING,
 * DTE_JSON_TOO_SMALL, DTE_JSON_MALFORMED. */
static inline long dte_json_string_field(const void *json, size_t len, const char *name, char *out, size_t cap) {
    const char *s;
    size_t n;
    int rc = dte_json_field(json, len, name, &s, &n);
    if (rc != 0) return rc;
    if (s[0] != '"') return DTE_JSON_NOT_STRING;
    size_t end = n - 1, o = 0;
    for (size_t i = 1; i < end; i++) {
        unsigned char bytes[4];
        size_t count = 1;
        bytes[0] = (unsigned char)s[i];
        if (s[i] == '\\') {
            char e = s[++i];
            switch (e) {
            case '"': case '\\': case '/': bytes[0] = (unsigned char)e; break;
            case 'b': bytes[0] = '\b'; break;
            case 'f': bytes[0] = '\f'; break;
            case 'n': bytes[0] = '\n'; break;
            case 'r': bytes[0] = '\r'; break;
            case 't': bytes[0] = '\t'; break;
            case 'u': {
                long cp = dte_json_u16(s, end, i + 1);
                if (cp <= 0) return DTE_JSON_MALFORMED;
                i += 4;
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    long low = (i + 2 < end && s[i + 1] == '\\' && s[i + 2] == 'u') ? dte_json_u16(s, end, i + 3) : -1;
                    if (low < 0xDC00 || low > 0xDFFF) return DTE_JSON_MALFORMED;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                    i += 6;
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    return DTE_JSON_MALFORMED;
                }
                if (cp < 0x80) bytes[0] = (unsigned char)cp;
                else if (cp < 0x800) {
                    bytes[0] = (unsigned char)(0xC0 | (cp >> 6)); bytes[1] = (unsigned char)(0x80 | (cp & 0x3F)); count = 2;
                } else if (cp < 0x10000) {
                    bytes[0] = (unsigned char)(0xE0 | (cp >> 12)); bytes[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
                    bytes[2] = (unsigned char)(0x80 | (cp & 0x3F)); count = 3;
                } else {
                    bytes[0] = (unsigned char)(0xF0 | (cp >> 18)); bytes[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
                    bytes[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F)); bytes[3] = (unsigned char)(0x80 | (cp & 0x3F)); count = 4;
                }
                break;
            }
            default: return DTE_JSON_MALFORMED;
            }
        }
        if (o + count >= cap) return DTE_JSON_TOO_SMALL;
        memcpy(out + o, bytes, count);
        o += count;
    }
    if (o >= cap) return DTE_JSON_TOO_SMALL;
    out[o] = '\0';
    return (long)o;
}

/* The event's payload as JSON: event->value in CloudEvents binary mode (a
 * `ce_type` header), else the envelope's top-level "payload" field. Returns
 * 0, DTE_JSON_ABSENT (no value, or an envelope without "payload") or
 * DTE_JSON_MALFORMED (the envelope is not a JSON object). */
static inline int dte_event_payload(const dte_event *event, const char **json, size_t *len) {
    const void *type;
    size_t type_len;
    if (!event->value) return DTE_JSON_ABSENT;
    if (dte_event_header(event, "ce_type", &type, &type_len) == 0) {
        *json = (const char *)event->value;
        *len = event->value_len;
        return 0;
    }
    return dte_json_field(event->value, event->value_len, "payload", json, len);
}

/* Internal: FNV-1a 64 over the follow-up id's material, from `seed`. */
static inline uint64_t dte_follow_up_fnv(uint64_t h, const char *event_id, const char *plugin, const char *index) {
    const char *parts[3] = {event_id, plugin, index};
    for (int p = 0; p < 3; p++) {
        if (p > 0) h = (h ^ 0u) * 0x100000001b3ull; /* the NUL between parts */
        for (const unsigned char *c = (const unsigned char *)parts[p]; *c; c++) h = (h ^ *c) * 0x100000001b3ull;
    }
    return h;
}

/* Writes the id of the `index`-th follow-up (0, 1, ...) that plugin `plugin`
 * produces for the event `event_id` (`event->event_id`) into out:
 * "fu-" and 32 lowercase hex digits, NUL-terminated (DTE_FOLLOW_UP_ID_SIZE
 * bytes). The algorithm, fixed for good: two FNV-1a 64-bit hashes, seeds
 * 0xcbf29ce484222325 and 0x84222325cbf29ce4 ^ 0x9e3779b97f4a7c15, over the
 * UTF-8 bytes of "<event_id>\0<plugin>\0<index in decimal>", each printed as
 * 16 hex digits — equal to Swift's `event.followUpID(index, plugin: plugin)`. */
static inline void dte_follow_up_id(const char *event_id, const char *plugin, long long index, char out[DTE_FOLLOW_UP_ID_SIZE]) {
    char digits[24];
    char *d = digits + sizeof digits - 1;
    unsigned long long magnitude = index < 0 ? 0ull - (unsigned long long)index : (unsigned long long)index;
    *d = '\0';
    do { *--d = (char)('0' + magnitude % 10); magnitude /= 10; } while (magnitude);
    if (index < 0) *--d = '-';
    uint64_t hashes[2] = {
        dte_follow_up_fnv(0xcbf29ce484222325ull, event_id, plugin, d),
        dte_follow_up_fnv(0x84222325cbf29ce4ull ^ 0x9e3779b97f4a7c15ull, event_id, plugin, d),
    };
    static const char hex[] = "0123456789abcdef";
    memcpy(out, "fu-", 3);
    for (int h = 0; h < 2; h++) {
        for (int k = 0; k < 16; k++) out[3 + h * 16 + k] = hex[(hashes[h] >> (60 - 4 * k)) & 0xF];
    }
    out[35] = '\0';
}

#ifdef __cplusplus
}
#endif

#endif /* DEVTRIP_EVENTD_EVENT_H */
