#ifndef CJANSSON_H
#define CJANSSON_H

#include <jansson.h>

// Prefixed adapters for the parts of jansson Swift cannot call: function-like macros.
// Plain functions, static inline functions (json_decref) and integer flag macros
// (JSON_DECODE_ANY, JSON_REJECT_DUPLICATES, JSON_ALLOW_NUL) import into Swift directly.

/// json_typeof is a function-like macro reading the struct's type tag; Swift cannot call macros.
static inline json_type cjansson_typeof(const json_t *json) { return json_typeof(json); }

#endif
