// Every adapter is static inline in CJansson.h; SwiftPM needs one source file for a C target.
#include "CJansson.h"
