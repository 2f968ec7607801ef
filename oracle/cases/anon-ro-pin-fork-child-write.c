/* anon-ro-pin-fork-child-write.pin: R/O longterm pin (gup_test), fork, child writes, parent
 * writes. */
#include "oracle.h"

enum { L_MMAP = 8, L_WRITE = 9, L_GUP = 10, L_FORK = 11, L_CHILD_WRITE = 12, L_PWRITE = 13,
       L_PUT = 14 };

int main(void)
{
	char *heap = map_anon(1, PROT_READ | PROT_WRITE, 0);
	write_page(heap);
	int err = pin_longterm(heap, 1, 0, 0);
	obs_result(L_GUP, err);
	if (err)
		return 0;
	uint64_t pinned = pfn_of(heap);

	struct chan c;
	pid_t pid = fork_child(&c, step_write_page, heap);
	obs_mapcount(L_FORK, "heap", 0, heap);
	child_do(&c, 'w');
	obs_violation(L_CHILD_WRITE, "cow-leak", heap[0] == 'C');
	obs_pin_lost_gup(L_CHILD_WRITE, "heap", 0, heap, pinned);
	write_page(heap);
	obs_pin_lost_gup(L_PWRITE, "heap", 0, heap, pinned);
	obs_mapcount(L_PWRITE, "heap", 0, heap);
	child_end(&c, pid);
	obs_result(L_PUT, pin_stop());
	return 0;
}
