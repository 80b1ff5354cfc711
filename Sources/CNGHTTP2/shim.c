// Intentionally empty: SwiftPM needs a source file for the C target; the adapters live in
// include/CNGHTTP2.h as static inline functions and constants.
