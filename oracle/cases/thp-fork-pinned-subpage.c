/* thp-fork-pinned-subpage.pin: THP, pin subpage 0 (gup_test, R/W longterm), fork, write 0. */
#include "thp-fork.h"

int main(void) { return thp_fork(10, 11, 12, 13, 14); }
