/* madv-pageout-unpinned.pin: MADV_PAGEOUT of an unpinned page, then read it back. */
#include "oracle.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

enum { L_MMAP = 6, L_WRITE = 7, L_RECLAIM = 8, L_READ = 9 };

int main(void)
{
	char *heap = map_anon(1, PROT_READ | PROT_WRITE, 0);
	int v = write_page(heap);
	uint64_t before = pfn_of(heap);
	if (madvise(heap, PAGE, MADV_PAGEOUT))
		die("MADV_PAGEOUT: %s", strerror(errno));
	uint64_t pm = pagemap(heap);
	info("after MADV_PAGEOUT: pagemap %#" PRIx64 " (%s); old pfn %#" PRIx64
	     " kpagecount %" PRIu64 " swapcache=%d",
	     pm, pm & PM_PRESENT ? "present" : pm & PM_SWAP ? "swapped" : "none", before,
	     kpagecount(before), kpf(before, KPF_SWAPCACHE));
	obs_mapcount(L_RECLAIM, "heap", 0, heap); /* a comment only, if no longer present */
	if (read_page(heap) != v)
		die("data lost across swap");
	obs_mapcount(L_READ, "heap", 0, heap);
	return 0;
}
