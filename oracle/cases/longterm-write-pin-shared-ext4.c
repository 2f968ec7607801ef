/* longterm-write-pin-shared-ext4.pin: R/W longterm pin (gup_test) of a MAP_SHARED ext4 page;
 * io_uring_register_buffers on the same mapping for comparison. */
#include "oracle.h"

enum { L_FILE = 9, L_MMAP = 10, L_WRITE = 11, L_GUP = 12, L_PUT = 13 };

int main(void)
{
	int fd = make_file(".", 1, 'F');
	char *m = mmap(0, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	write_page(m);
	int err = pin_longterm(m, 1, 1, 0);
	obs_result(L_GUP, err);
	if (!err)
		obs_result(L_PUT, pin_stop());
	struct io_uring ring;
	int uerr = uring_register(&ring, m, 1);
	info("io_uring_register_buffers on the same MAP_SHARED ext4 page: %s (io_uring's check)",
	     errname(uerr));
	int tfd = make_file("/tmp", 1, 'T');
	char *t = mmap(0, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, tfd, 0);
	struct io_uring ring2;
	info("io_uring_register_buffers on a MAP_SHARED tmpfs page: %s",
	     errname(uring_register(&ring2, t, 1)));
	return 0;
}
