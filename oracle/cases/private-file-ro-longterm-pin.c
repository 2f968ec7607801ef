/* private-file-ro-longterm-pin.pin: R/O longterm pin of a page-cache page in a MAP_PRIVATE
 * mapping of an ext4 file, then a write (COW). */
#include "oracle.h"

enum { L_FILE = 7, L_MMAP = 8, L_READ = 9, L_GUP = 10, L_WRITE = 11, L_PUT = 12 };

int main(void)
{
	int fd = make_file(".", 1, 'F');
	char *m = mmap(0, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	read_page(m);
	uint64_t pfn = pfn_of(m);
	info("after read: pfn %#" PRIx64 " anon=%d", pfn, kpf(pfn, KPF_ANON));
	obs_mapcount(L_READ, "m", 0, m);
	int err = pin_longterm(m, 1, 0, 0);
	obs_result(L_GUP, err);
	if (err)
		return 0;
	uint64_t pinned = pfn_of(m);
	info("after gup: pfn %#" PRIx64 " anon=%d", pinned, kpf(pinned, KPF_ANON));
	write_page(m);
	uint64_t now = pfn_of(m);
	info("after write: pfn %#" PRIx64 " anon=%d", now, kpf(now, KPF_ANON));
	obs_mapcount(L_WRITE, "m", 0, m);
	obs_pin_lost_gup(L_WRITE, "m", 0, m, pinned);
	obs_result(L_PUT, pin_stop());
	return 0;
}
