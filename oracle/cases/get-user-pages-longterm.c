/* get-user-pages-longterm.pin: gup_test GUP_BASIC_TEST (get_user_pages) with FOLL_LONGTERM; for
 * comparison (comments only) the same with PIN_BASIC_TEST (pin_user_pages). */
#include "oracle.h"

enum { L_MMAP = 7, L_WRITE = 8, L_GUP = 9 };

int main(void)
{
	char *m = map_anon(1, PROT_READ | PROT_WRITE, 0);
	write_page(m);
	int err = gup_basic(GUP_BASIC_TEST, m, 1, FOLL_LONGTERM);
	obs_result(L_GUP, err);
	info("get_user_pages(FOLL_LONGTERM): %s; get_user_pages(0): %s; "
	     "pin_user_pages(FOLL_LONGTERM): %s",
	     errname(err), errname(gup_basic(GUP_BASIC_TEST, m, 1, 0)),
	     errname(gup_basic(PIN_BASIC_TEST, m, 1, FOLL_LONGTERM)));
	return 0;
}
