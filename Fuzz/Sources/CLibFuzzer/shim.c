// The header declares libFuzzer's driver; nothing to define here.
#include "CLibFuzzer.h"
