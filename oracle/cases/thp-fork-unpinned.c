/* thp-fork-unpinned.pin: THP, fork, write 0 (no pin). */
#include "thp-fork.h"

int main(void) { return thp_fork(10, 0, 11, 12, 0); }
