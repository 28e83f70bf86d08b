/* libFuzzer target: the oab log reader (fuzz_logs_reader.h). */
#define FUZZ_LOG_KIND EXS_LOG_OAB
#include "fuzz_logs_reader.h"
