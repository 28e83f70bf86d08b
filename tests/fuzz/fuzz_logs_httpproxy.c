/* libFuzzer target: the httpproxy log reader (fuzz_logs_reader.h). */
#define FUZZ_LOG_KIND EXS_LOG_HTTPPROXY
#include "fuzz_logs_reader.h"
