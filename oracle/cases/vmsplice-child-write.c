/* vmsplice-child-write.pin: vmsplice in the parent, fork, child writes, parent writes; what
 * does the pipe show? (peeked with tee(2), which does not consume) */
#include "oracle.h"

enum { L_MMAP = 8, L_WRITE = 9, L_VMSPLICE = 10, L_FORK = 11, L_CHILD_WRITE = 12, L_PWRITE = 13 };

static int p[2];

/* the first byte the pipe would deliver, without consuming it */
static char peek_pipe(void)
{
	int q[2];
	static char buf[PAGE];
	if (pipe(q))
		die("pipe: %s", strerror(errno));
	if (tee(p[0], q[1], PAGE, 0) != (ssize_t)PAGE)
		die("tee: %s", strerror(errno));
	if (read(q[0], buf, PAGE) != (ssize_t)PAGE)
		die("read: %s", strerror(errno));
	close(q[0]);
	close(q[1]);
	return buf[0];
}

int main(void)
{
	char *m = map_anon(1, PROT_READ | PROT_WRITE, 0);
	memset(m, 'A', PAGE);
	if (pipe(p))
		die("pipe: %s", strerror(errno));
	struct iovec iov = { m, PAGE };
	ssize_t n = vmsplice(p[1], &iov, 1, 0);
	obs_result(L_VMSPLICE, n == (ssize_t)PAGE ? 0 : errno);
	if (n != (ssize_t)PAGE)
		return 0;
	uint64_t spliced = pfn_of(m);
	struct chan c;
	pid_t pid = fork_child(&c, step_write_page, m);
	obs_mapcount(L_FORK, "m", 0, m);
	child_do(&c, 'w');
	char seen = peek_pipe();
	info("after the child's write the pipe shows '%c', the parent maps '%c'", seen, m[0]);
	obs_violation(L_CHILD_WRITE, "cow-leak", seen == 'C' || m[0] == 'C');
	memset(m, 'P', PAGE);
	seen = peek_pipe();
	info("after the parent's write the pipe shows '%c'; parent pfn %#" PRIx64 " (spliced %#" PRIx64 ")",
	     seen, pfn_of(m), spliced);
	obs_violation(L_PWRITE, "pin-lost-by-cow", seen != 'P' || pfn_of(m) != spliced);
	obs_mapcount(L_PWRITE, "m", 0, m);
	child_end(&c, pid);
	return 0;
}
