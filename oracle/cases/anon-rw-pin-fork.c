/* anon-rw-pin-fork.pin: io_uring fixed buffer (FOLL_WRITE|FOLL_PIN|FOLL_LONGTERM), fork,
 * child writes, parent writes; read back through the pin with IORING_OP_WRITE_FIXED. */
#include "oracle.h"

enum { L_MMAP = 8, L_WRITE = 9, L_GUP = 10, L_FORK = 11, L_CHILD_WRITE = 12, L_PWRITE = 13,
       L_PUT = 14 };

int main(void)
{
	char *heap = map_anon(1, PROT_READ | PROT_WRITE, 0);
	write_page(heap);
	struct io_uring ring;
	int err = uring_register(&ring, heap, 1);
	obs_result(L_GUP, err);
	if (err)
		return 0;
	uint64_t pinned = pfn_of(heap);
	obs_mapcount(L_GUP, "heap", 0, heap);

	struct chan c;
	pid_t pid = fork_child(&c, step_write_page, heap);
	obs_mapcount(L_FORK, "heap", 0, heap);
	obs_pin_lost_uring(L_FORK, &ring, "heap", 0, heap, pinned);
	child_do(&c, 'w');
	obs_violation(L_CHILD_WRITE, "cow-leak", heap[0] == 'C'); /* the parent sees the child's write */
	obs_pin_lost_uring(L_CHILD_WRITE, &ring, "heap", 0, heap, pinned);
	write_page(heap);
	obs_pin_lost_uring(L_PWRITE, &ring, "heap", 0, heap, pinned);
	obs_mapcount(L_PWRITE, "heap", 0, heap);
	child_end(&c, pid);
	io_uring_unregister_buffers(&ring);
	return 0;
}
