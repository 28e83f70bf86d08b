/* libFuzzer target: the rps_http log reader (fuzz_logs_reader.h). */
#define FUZZ_LOG_KIND EXS_LOG_RPS_HTTP
#include "fuzz_logs_reader.h"
