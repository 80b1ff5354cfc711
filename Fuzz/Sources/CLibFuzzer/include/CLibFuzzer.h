// libFuzzer's driver, linked by -sanitize=fuzzer (LLVM 11 and later): runs the fuzzing loop
// with `argc`/`argv` as libFuzzer's own main would, calling `callback` for every input.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
