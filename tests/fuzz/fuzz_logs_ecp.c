/* libFuzzer target: the ecp log reader (fuzz_logs_reader.h). */
#define FUZZ_LOG_KIND EXS_LOG_ECP
#include "fuzz_logs_reader.h"
