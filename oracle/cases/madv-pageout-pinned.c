/* madv-pageout-pinned.pin: R/W longterm pin (gup_test), MADV_PAGEOUT, write. */
#include "oracle.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

enum { L_MMAP = 8, L_WRITE = 9, L_GUP = 10, L_RECLAIM = 11, L_WRITE2 = 12, L_PUT = 13 };

int main(void)
{
	char *heap = map_anon(1, PROT_READ | PROT_WRITE, 0);
	write_page(heap);
	int err = pin_longterm(heap, 1, 1, 0);
	obs_result(L_GUP, err);
	if (err)
		return 0;
	uint64_t pinned = pfn_of(heap);
	if (madvise(heap, PAGE, MADV_PAGEOUT))
		die("MADV_PAGEOUT: %s", strerror(errno));
	info("after MADV_PAGEOUT: pagemap %#" PRIx64 ", pinned pfn swapcache=%d",
	     pagemap(heap), kpf(pinned, KPF_SWAPCACHE));
	obs_mapcount(L_RECLAIM, "heap", 0, heap);
	obs_pin_lost_gup(L_RECLAIM, "heap", 0, heap, pinned);
	write_page(heap);
	obs_pin_lost_gup(L_WRITE2, "heap", 0, heap, pinned);
	obs_result(L_PUT, pin_stop());
	return 0;
}
