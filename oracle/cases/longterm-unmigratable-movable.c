/* longterm-unmigratable-movable.pin: page in ZONE_MOVABLE, extra reference from vmsplice, then
 * a R/W longterm pin (gup_test). Control (comment only): the same pin of a second movable page
 * without the extra reference migrates it and succeeds. */
#include "oracle.h"

enum { L_MMAP = 9, L_WRITE = 10, L_VMSPLICE = 11, L_GUP = 12 };

/* is pfn inside the Movable zone of /proc/zoneinfo? */
static int in_movable(uint64_t pfn)
{
	FILE *f = fopen("/proc/zoneinfo", "r");
	char line[256];
	int movable = 0, found = 0;
	unsigned long long start = 0, spanned = 0;
	if (!f)
		die("open /proc/zoneinfo: %s", strerror(errno));
	while (fgets(line, sizeof line, f)) {
		if (!strncmp(line, "Node ", 5))
			movable = strstr(line, "zone  Movable") != NULL || strstr(line, "zone Movable") != NULL;
		if (movable && sscanf(line, " spanned %llu", &spanned) == 1)
			continue;
		if (movable && sscanf(line, " start_pfn: %llu", &start) == 1) {
			found = 1;
			break;
		}
	}
	fclose(f);
	if (!found || !spanned)
		die("no ZONE_MOVABLE in /proc/zoneinfo (boot the VM with movablecore=)");
	return pfn >= start && pfn < start + spanned;
}

int main(void)
{
	char *mr = map_anon(2, PROT_READ | PROT_WRITE, 0);
	write_page(mr);
	write_page(mr + PAGE);
	uint64_t pfn = pfn_of(mr), pfn2 = pfn_of(mr + PAGE);
	if (!in_movable(pfn) || !in_movable(pfn2))
		die("the pages did not land in ZONE_MOVABLE (pfns %#" PRIx64 " %#" PRIx64 ")", pfn, pfn2);
	info("mr page 0 pfn %#" PRIx64 " is in ZONE_MOVABLE", pfn);

	/* control: no extra reference -> the pin migrates the page out of ZONE_MOVABLE */
	int err = pin_longterm(mr + PAGE, 1, 1, 0);
	uint64_t moved = pfn_of(mr + PAGE);
	info("control (no extra reference): pin %s, pfn %#" PRIx64 " -> %#" PRIx64 " (movable: %d)",
	     errname(err), pfn2, moved, in_movable(moved));
	if (!err)
		pin_stop();

	int p[2];
	if (pipe(p))
		die("pipe: %s", strerror(errno));
	struct iovec iov = { mr, PAGE };
	ssize_t n = vmsplice(p[1], &iov, 1, 0);
	obs_result(L_VMSPLICE, n == (ssize_t)PAGE ? 0 : errno);
	if (n != (ssize_t)PAGE)
		return 0;
	err = pin_longterm(mr, 1, 1, 0);
	obs_result(L_GUP, err);
	info("after the pin attempt: mr page 0 pfn %#" PRIx64 " (movable: %d)", pfn_of(mr),
	     in_movable(pfn_of(mr)));
	if (!err)
		pin_stop();
	return 0;
}
