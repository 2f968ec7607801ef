/* longterm-write-pin-ro-mapping.pin: R/W longterm pin (gup_test) of a PROT_READ mapping. */
#include "oracle.h"

enum { L_MMAP = 6, L_READ = 7, L_GUP = 8 };

int main(void)
{
	char *m = map_anon(1, PROT_READ, 0);
	read_page(m);
	obs_result(L_GUP, pin_longterm(m, 1, 1, 0));
	return 0;
}
