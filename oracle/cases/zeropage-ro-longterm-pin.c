/* zeropage-ro-longterm-pin.pin: R/O longterm pin of the shared zero page, then write. */
#include "oracle.h"

enum { L_MMAP = 7, L_READ = 8, L_GUP = 9, L_WRITE = 10, L_PUT = 11 };

int main(void)
{
	char *m = map_anon(1, PROT_READ | PROT_WRITE, 0);
	read_page(m);
	obs_zeropage(L_READ, "m", 0, m);
	int err = pin_longterm(m, 1, 0, 0);           /* pin_user_pages(FOLL_LONGTERM), R/O */
	obs_result(L_GUP, err);
	if (err)
		return 0;
	uint64_t pinned = pfn_of(m);
	obs_zeropage(L_GUP, "m", 0, m);
	write_page(m);
	obs_zeropage(L_WRITE, "m", 0, m);
	obs_pin_lost_gup(L_WRITE, "m", 0, m, pinned);
	obs_result(L_PUT, pin_stop());
	return 0;
}
