/* libFuzzer target: the evtx log reader (fuzz_logs_reader.h). */
#define FUZZ_LOG_KIND EXS_LOG_EVTX
#include "fuzz_logs_reader.h"
