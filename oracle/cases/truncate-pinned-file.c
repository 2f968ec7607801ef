/* truncate-pinned-file.pin: MAP_SHARED ext4 page, write, R/W longterm pin (gup_test),
 * ftruncate(0), then look at the pin, the mapping and the file. */
#include "oracle.h"

enum { L_FILE = 8, L_MMAP = 9, L_WRITE = 10, L_GUP = 11, L_TRUNCATE = 12, L_PUT = 13 };

int main(void)
{
	int fd = make_file(".", 1, 'F');
	char *m = mmap(0, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	int v = write_page(m);
	int err = pin_longterm(m, 1, 1, 0);
	obs_result(L_GUP, err);
	if (err)
		return 0;
	uint64_t pinned = pfn_of(m);
	obs_mapcount(L_GUP, "m", 0, m);
	obs_result(L_TRUNCATE, ftruncate(fd, 0) ? errno : 0);
	uint64_t pm = pagemap(m);
	static char buf[PAGE];
	pin_read(buf);
	info("after truncate: m page 0 pagemap %#" PRIx64 " (%s); pinned pfn %#" PRIx64
	     " kpagecount %" PRIu64 " flags %#" PRIx64 "; the pin reads '%c' (written '%c'); file size %ld",
	     pm, pm & PM_PRESENT ? "present" : "not present", pinned, kpagecount(pinned),
	     kpageflags(pinned), buf[0], v, (long)lseek(fd, 0, SEEK_END));
	obs_mapcount(L_TRUNCATE, "m", 0, m);
	obs_result(L_PUT, pin_stop());
	return 0;
}
