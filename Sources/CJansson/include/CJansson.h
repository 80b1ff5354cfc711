#ifndef CJANSSON_H
#define CJANSSON_H

#include <errno.h>
#include <jansson.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

// Prefixed adapters for the parts of jansson Swift cannot call (function-like macros), and the
// one piece of jansson's lexer the streaming decoder shares with it (real literals).
// Plain functions, static inline functions (json_decref) and integer flag macros
// (JSON_DECODE_ANY, JSON_REJECT_DUPLICATES, JSON_ALLOW_NUL) import into Swift directly.

/// json_typeof is a function-like macro reading the struct's type tag; Swift cannot call macros.
static inline json_type cjansson_typeof(const json_t *json) { return json_typeof(json); }

/// Parses a JSON real literal of `length` bytes (not NUL-terminated) the way jansson's lexer does:
/// strtod on a NUL-terminated copy whose '.' is the locale's decimal point. Returns 0 and sets
/// *value, or -1 when the literal is too long to copy or the value overflows (jansson's "real
/// number overflow"; an underflow to zero or a subnormal is a value, as in jansson).
static inline int cjansson_strtod(const char *text, size_t length, double *value) {
    char copy[400];
    if (length >= sizeof copy) return -1;
    memcpy(copy, text, length);
    copy[length] = '\0';
    const char *point = localeconv()->decimal_point;
    if (point[0] != '.') {
        char *dot = strchr(copy, '.');
        if (dot) *dot = point[0];
    }
    char *end;
    errno = 0;
    double parsed = strtod(copy, &end);
    if ((size_t)(end - copy) != length) return -1;
    if ((parsed == HUGE_VAL || parsed == -HUGE_VAL) && errno == ERANGE) return -1;
    *value = parsed;
    return 0;
}

#endif
