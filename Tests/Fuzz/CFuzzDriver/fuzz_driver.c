#include "fuzz_driver.h"
#include <stdlib.h>

// Part of libFuzzer (compiler-rt) since LLVM 11; linked by -sanitize=fuzzer.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

static eventd_fuzz_one_input target;

// Also the symbol libFuzzer's own main (linked in, though never entered) refers to.
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const uint8_t empty[1];
    target(data ? data : empty, size);
    return 0;
}

void eventd_fuzz_main(int argc, char **argv, eventd_fuzz_one_input fuzz_one) {
    target = fuzz_one;
    exit(LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput));
}
