/* zeropage-read.pin: read fault -> shared zero page; write -> private page. */
#include "oracle.h"

enum { L_MMAP = 6, L_READ0 = 7, L_WRITE0 = 8, L_READ1 = 9 };

int main(void)
{
	char *m = map_anon(2, PROT_READ | PROT_WRITE, 0);
	read_page(m);
	obs_zeropage(L_READ0, "m", 0, m);
	write_page(m);
	obs_zeropage(L_WRITE0, "m", 0, m);
	obs_mapcount(L_WRITE0, "m", 0, m);
	read_page(m + PAGE);
	obs_zeropage(L_READ1, "m", 1, m + PAGE);
	obs_zeropage(L_READ1, "m", 0, m);
	return 0;
}
