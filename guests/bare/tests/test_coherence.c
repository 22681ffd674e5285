#define KTEST_MAIN
#include "ktest.h"
