/* shared body of thp-fork-pinned-subpage.c and thp-fork-unpinned.c */
#include "oracle.h"

static void thp_info(const char *when, char *heap)
{
	uint64_t p0 = pfn_of(heap), p1 = pfn_of(heap + PAGE), p511 = pfn_of(heap + 511 * PAGE);
	info("%s: pfns %#" PRIx64 " %#" PRIx64 " %#" PRIx64 " (thp=%d, head=%d)", when, p0, p1, p511,
	     p0 ? kpf(p0, KPF_THP) : -1, p0 ? kpf(p0, KPF_COMPOUND_HEAD) : -1);
}

/* the child's one step: 'i' logs its view of the THP */
static void thp_child_step(char m, void *heap)
{
	if (m == 'i')
		thp_info("child", heap);
}

static void thp_mapcounts(int line, char *heap)
{
	obs_mapcount(line, "heap", 0, heap);
	obs_mapcount(line, "heap", 1, heap + PAGE);
	obs_mapcount(line, "heap", 511, heap + 511 * PAGE);
}

/* lines: mmap, write, [gup], fork, write 0, [put] (0 = statement absent) */
static int thp_fork(int l_write, int l_gup, int l_fork, int l_write0, int l_put)
{
	char *heap = map_anon(512, PROT_READ | PROT_WRITE, 1);
	memset(heap, 'A', 512 * PAGE);
	uint64_t p0 = pfn_of(heap);
	if (!p0 || !kpf(p0, KPF_THP) || pfn_of(heap + 511 * PAGE) != p0 + 511)
		die("the 2 MiB mapping did not get a THP (pfn %#" PRIx64 ")", p0);
	thp_info("after write", heap);
	thp_mapcounts(l_write, heap);
	uint64_t pinned = 0;
	if (l_gup) {
		int err = pin_longterm(heap, 1, 1, 0);
		obs_result(l_gup, err);
		if (err)
			return 0;
		pinned = pfn_of(heap);
	}
	struct chan c;
	pid_t pid = fork_child(&c, thp_child_step, heap);
	thp_info("parent after fork", heap);
	child_do(&c, 'i');
	thp_mapcounts(l_fork, heap);
	if (l_gup)
		obs_pin_lost_gup(l_fork, "heap", 0, heap, pinned);
	write_page(heap);
	thp_info("parent after write 0", heap);
	child_do(&c, 'i');
	thp_mapcounts(l_write0, heap);
	if (l_gup)
		obs_pin_lost_gup(l_write0, "heap", 0, heap, pinned);
	child_end(&c, pid);
	if (l_put)
		obs_result(l_put, pin_stop());
	return 0;
}
