/* vmsplice-cow-leak.pin: fork; child vmsplices the page into a pipe and unmaps it; the parent
 * writes; the child then reads the pipe. */
#include "oracle.h"

enum { L_MMAP = 9, L_WRITE = 10, L_FORK = 11, L_VMSPLICE = 12, L_MUNMAP = 13, L_PWRITE = 14 };

int main(void)
{
	char *secret = map_anon(1, PROT_READ | PROT_WRITE, 0);
	memset(secret, 'S', PAGE);
	struct chan c;
	chan_init(&c);
	int p[2];
	if (pipe(p))
		die("pipe: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		static char buf[PAGE];
		for (;;) {
			char m = chan_recv(c.down[0]);
			if (m == 'q')
				_exit(0);
			if (m == 's') {
				struct iovec iov = { secret, PAGE };
				ssize_t n = vmsplice(p[1], &iov, 1, 0);
				if (n != (ssize_t)PAGE)
					die("vmsplice: %zd %s", n, strerror(errno));
			}
			if (m == 'u' && munmap(secret, PAGE))
				die("munmap: %s", strerror(errno));
			if (m == 'r') {
				if (read(p[0], buf, PAGE) != (ssize_t)PAGE)
					die("read pipe: %s", strerror(errno));
				info("child reads '%c' from the pipe", buf[0]);
				/* tell the parent what the pipe showed */
				chan_send(c.up[1], buf[0] == 'S' ? 'o' : 'L');
				continue;
			}
			chan_send(c.up[1], m);
		}
	}
	child_do(&c, 's');
	child_do(&c, 'u');
	uint64_t before = pfn_of(secret);
	info("parent: secret page 0 pfn %#" PRIx64 " kpagecount %" PRIu64 " before its write", before,
	     kpagecount(before));
	memset(secret, 'P', PAGE);
	info("parent: secret page 0 pfn %#" PRIx64 " after its write", pfn_of(secret));
	chan_send(c.down[1], 'r');
	char seen = chan_recv(c.up[0]);
	obs_violation(L_PWRITE, "cow-leak", seen == 'L');
	obs_mapcount(L_PWRITE, "secret", 0, secret);
	child_end(&c, pid);
	return 0;
}
