// Entry points of the fuzz executables.
//
// SwiftPM (tools version 5.5 and later) compiles a Swift executable's entry point as
// `<module>_main` and links it with `--defsym main=<module>_main` (on Linux), so that tests can
// link against executables. A fuzz target has no Swift entry point (-parse-as-library): its code
// is LLVMFuzzerTestOneInput, and libFuzzer's own main is never reached under that renaming. So
// each `<module>_main` is defined here, and hands control to libFuzzer's documented driver,
// which parses the usual libFuzzer flags exactly as its main would.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

static int run(int argc, char **argv) {
    return LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput);
}

int FuzzFrameDecoder_main(int argc, char **argv) { return run(argc, argv); }
int FuzzEnvelope_main(int argc, char **argv) { return run(argc, argv); }
int FuzzHandshake_main(int argc, char **argv) { return run(argc, argv); }
int FuzzLocalAPI_main(int argc, char **argv) { return run(argc, argv); }
