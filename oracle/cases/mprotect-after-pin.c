/* mprotect-after-pin.pin: R/W longterm pin (gup_test), mprotect ro, rw, write. */
#include "oracle.h"

enum { L_MMAP = 7, L_WRITE = 8, L_GUP = 9, L_RO = 10, L_RW = 11, L_WRITE2 = 12, L_PUT = 13 };

int main(void)
{
	char *heap = map_anon(1, PROT_READ | PROT_WRITE, 0);
	write_page(heap);
	int err = pin_longterm(heap, 1, 1, 0);
	obs_result(L_GUP, err);
	if (err)
		return 0;
	uint64_t pinned = pfn_of(heap);
	obs_result(L_RO, mprotect(heap, PAGE, PROT_READ) ? errno : 0);
	obs_result(L_RW, mprotect(heap, PAGE, PROT_READ | PROT_WRITE) ? errno : 0);
	write_page(heap);
	obs_pin_lost_gup(L_WRITE2, "heap", 0, heap, pinned);
	obs_mapcount(L_WRITE2, "heap", 0, heap);
	obs_result(L_PUT, pin_stop());
	return 0;
}
