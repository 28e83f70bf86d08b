/* libFuzzer target: the iis log reader (fuzz_logs_reader.h). */
#define FUZZ_LOG_KIND EXS_LOG_IIS
#include "fuzz_logs_reader.h"
