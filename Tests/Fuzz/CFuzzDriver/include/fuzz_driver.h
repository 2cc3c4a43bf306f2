// libFuzzer's driver, entered from a fuzz target's own main: SwiftPM gives every
// executable target a main of its own, so libFuzzer's cannot be the entry point.
#ifndef EVENTD_FUZZ_DRIVER_H
#define EVENTD_FUZZ_DRIVER_H
#include <stddef.h>
#include <stdint.h>

/// One input; `data` is never NULL, even when `size` is 0.
typedef void (*eventd_fuzz_one_input)(const uint8_t *data, size_t size);

/// Runs libFuzzer over `fuzz_one` with the process's arguments, then exits with its status.
_Noreturn void eventd_fuzz_main(int argc, char **argv, eventd_fuzz_one_input fuzz_one);
#endif
