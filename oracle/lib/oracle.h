/* oracle.h: helpers shared by the kernel-check cases (oracle/cases/NAME.c).
 *
 * A case performs the statements of oracle/cases/NAME.pin with real syscalls and prints what the
 * kernel did as observation lines:
 *     @L expect result ok|EFAULT|...           (result of the statement on line L)
 *     @L expect page VMA PAGE mapcount=N       (kpagecount of the PFN the VMA page maps)
 *     @L expect page VMA PAGE zeropage=yes|no
 *     @L expect violation|no-violation pin-lost-by-cow|cow-leak
 * where L is the 1-based line of the .pin statement after which the observation holds, plus
 * informational lines starting with '#'. Anything else makes the harness fail the case.
 * It runs as root in the kernel-check VM (scripts/kernel-check/init.sh), cwd on ext4.
 *
 * The gup_test ABI comes from the same gup_test.h the module is built from (-I by the harness).
 */
#ifndef ORACLE_H
#define ORACLE_H
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <liburing.h>
#include <linux/kernel-page-flags.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gup_test.h"

#define PAGE 4096UL
#define HPAGE (2UL << 20)

/* 6.1's include/linux/mm.h (gup_flags for GUP_BASIC_TEST / PIN_BASIC_TEST) */
#define FOLL_WRITE 0x01
#define FOLL_LONGTERM 0x10000

/* ---- output (unbuffered single writes: safe across fork) ---------------------------------- */
static void emit(const char *prefix, const char *fmt, va_list ap)
{
	char b[1024];
	int n = snprintf(b, sizeof b, "%s", prefix);
	n += vsnprintf(b + n, sizeof b - n - 1, fmt, ap);
	if (n > (int)sizeof b - 2)
		n = sizeof b - 2;
	b[n++] = '\n';
	if (write(1, b, n) < 0)
		_exit(99);
}

/* informational line */
static void info(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit("# ", fmt, ap);
	va_end(ap);
}

/* observation after .pin line `line` */
static void obs(int line, const char *fmt, ...)
{
	char prefix[32];
	va_list ap;
	snprintf(prefix, sizeof prefix, "@%d expect ", line);
	va_start(ap, fmt);
	emit(prefix, fmt, ap);
	va_end(ap);
}

/* the case cannot go on: the harness reports it as a failed case (rc 3) */
static _Noreturn void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit("# FATAL: ", fmt, ap);
	va_end(ap);
	exit(3);
}

static const char *errname(int e)
{
	static char b[24];
	switch (e) {
	case 0: return "ok";
	case EFAULT: return "EFAULT";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ENOMEM: return "ENOMEM";
	case EINVAL: return "EINVAL";
	case EAGAIN: return "EAGAIN";
	case EBUSY: return "EBUSY";
	case EPERM: return "EPERM";
	case EIO: return "EIO";
	}
	snprintf(b, sizeof b, "errno%d", e);
	return b;
}

static void obs_result(int line, int err)
{
	obs(line, "result %s", errname(err));
}

static void obs_violation(int line, const char *name, int happened)
{
	obs(line, "%s %s", happened ? "violation" : "no-violation", name);
}

/* ---- memory -------------------------------------------------------------------------------- */
/* private anonymous memory; small pages unless huge (then 2 MiB aligned, MADV_HUGEPAGE) */
static char *map_anon(unsigned long pages, int prot, int huge)
{
	size_t len = pages * PAGE;
	if (!huge) {
		char *p = mmap(0, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			die("mmap anon: %s", strerror(errno));
		/* keep it out of THP (THP is "always" in the VM): pinlab's non-huge VMAs are 4 KiB */
		madvise(p, len, MADV_NOHUGEPAGE);
		return p;
	}
	char *raw = mmap(0, len + HPAGE, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		die("mmap anon huge: %s", strerror(errno));
	char *p = (char *)(((uintptr_t)raw + HPAGE - 1) & ~(HPAGE - 1));
	if (p > raw)
		munmap(raw, p - raw);
	munmap(p + len, raw + HPAGE - p);
	if (madvise(p, len, MADV_HUGEPAGE))
		die("madvise(MADV_HUGEPAGE): %s", strerror(errno));
	return p;
}

/* a file of `pages` pages in the cwd (ext4 in the VM) or under /tmp (tmpfs), filled with c */
static int make_file(const char *dir, unsigned long pages, int c)
{
	char path[256];
	snprintf(path, sizeof path, "%s/oracle-XXXXXX", dir);
	int fd = mkstemp(path);
	if (fd < 0)
		die("mkstemp %s: %s", path, strerror(errno));
	unlink(path);
	char buf[PAGE];
	memset(buf, c, sizeof buf);
	for (unsigned long i = 0; i < pages; i++)
		if (write(fd, buf, PAGE) != (ssize_t)PAGE)
			die("write file: %s", strerror(errno));
	fsync(fd);
	return fd;
}

/* `write VMA PAGE`: a CPU store to every byte of the page, with a fresh value each time */
static int next_value = 'a';
static int write_page(char *addr)
{
	int v = next_value++;
	memset(addr, v, PAGE);
	return v;
}

/* `read VMA PAGE`: a CPU load */
static int read_page(const char *addr)
{
	return *(volatile const char *)addr;
}

/* ---- /proc/self/pagemap, /proc/kpagecount, /proc/kpageflags (root) ----------------------- */
#define PM_PRESENT (1ULL << 63)
#define PM_SWAP (1ULL << 62)
#define PM_PFN_MASK ((1ULL << 55) - 1)

static uint64_t pread_u64(const char *file, uint64_t index)
{
	uint64_t v = 0;
	int fd = open(file, O_RDONLY);
	if (fd < 0)
		die("open %s: %s", file, strerror(errno));
	if (pread(fd, &v, 8, index * 8) != 8)
		die("read %s[%" PRIu64 "]: %s", file, index, strerror(errno));
	close(fd);
	return v;
}

static uint64_t pagemap(const void *addr)
{
	return pread_u64("/proc/self/pagemap", (uintptr_t)addr / PAGE);
}

/* PFN mapped at addr, 0 if none */
static uint64_t pfn_of(const void *addr)
{
	uint64_t e = pagemap(addr);
	if (!(e & PM_PRESENT))
		return 0;
	uint64_t pfn = e & PM_PFN_MASK;
	if (!pfn)
		die("pagemap shows PFN 0 for a present page: not running as root?");
	return pfn;
}

static uint64_t kpagecount(uint64_t pfn) { return pread_u64("/proc/kpagecount", pfn); }
static uint64_t kpageflags(uint64_t pfn) { return pread_u64("/proc/kpageflags", pfn); }
static int kpf(uint64_t pfn, int bit) { return !!(kpageflags(pfn) & (1ULL << bit)); }

/* `expect page VMA PAGE mapcount=N` for the page mapped at addr (none: reported as a comment) */
static void obs_mapcount(int line, const char *vma, unsigned long page, const void *addr)
{
	uint64_t e = pagemap(addr);
	if (!(e & PM_PRESENT)) {
		info("%s page %lu maps no page after line %d (pagemap %s): no mapcount to report", vma,
		     page, line, e & PM_SWAP ? "swap entry" : "none");
		return;
	}
	uint64_t pfn = e & PM_PFN_MASK;
	info("%s page %lu: pfn %#" PRIx64 " kpagecount %" PRIu64 " flags %#" PRIx64, vma, page, pfn,
	     kpagecount(pfn), kpageflags(pfn));
	obs(line, "page %s %lu mapcount=%" PRIu64, vma, page, kpagecount(pfn));
}

static int is_zero_page(const void *addr)
{
	uint64_t pfn = pfn_of(addr);
	return pfn && kpf(pfn, KPF_ZERO_PAGE);
}

static void obs_zeropage(int line, const char *vma, unsigned long page, const void *addr)
{
	uint64_t pfn = pfn_of(addr);
	if (!pfn)
		die("%s page %lu is not present after line %d", vma, page, line);
	info("%s page %lu: pfn %#" PRIx64 " flags %#" PRIx64, vma, page, pfn, kpageflags(pfn));
	obs(line, "page %s %lu zeropage=%s", vma, page, kpf(pfn, KPF_ZERO_PAGE) ? "yes" : "no");
}

/* ---- gup_test (/sys/kernel/debug/gup_test, built by scripts/kernel-check/build-gup-test.sh) */
static int gup_fd(void)
{
	static int fd = -1;
	if (fd < 0)
		fd = open("/sys/kernel/debug/gup_test", O_RDWR);
	if (fd < 0)
		die("open /sys/kernel/debug/gup_test: %s (gup_test.ko not loaded?)", strerror(errno));
	return fd;
}

/* `gup H VMA RANGE longterm [write] [fast]` under refcount: pin_user_pages[_fast]
 * (FOLL_PIN | FOLL_LONGTERM [| FOLL_WRITE]); held until pin_stop(). One such pin at a time.
 * Returns 0 or the errno. */
static int pin_longterm(void *addr, unsigned long pages, int write, int fast)
{
	struct pin_longterm_test t = {
		.addr = (uintptr_t)addr,
		.size = pages * PAGE,
		.flags = (write ? PIN_LONGTERM_TEST_FLAG_USE_WRITE : 0) |
			 (fast ? PIN_LONGTERM_TEST_FLAG_USE_FAST : 0),
	};
	return ioctl(gup_fd(), PIN_LONGTERM_TEST_START, &t) ? errno : 0;
}

/* copy what the pinned pages hold (kmap of the pinned struct pages) into dst */
static void pin_read(void *dst)
{
	uint64_t a = (uintptr_t)dst;
	if (ioctl(gup_fd(), PIN_LONGTERM_TEST_READ, &a))
		die("PIN_LONGTERM_TEST_READ: %s", strerror(errno));
}

/* `put H`: unpin_user_pages */
static int pin_stop(void)
{
	return ioctl(gup_fd(), PIN_LONGTERM_TEST_STOP) ? errno : 0;
}

/* GUP_BASIC_TEST (get_user_pages) / PIN_BASIC_TEST (pin_user_pages) with raw gup_flags: the
 * pages are taken and released within the ioctl. Returns 0 or the errno of the first call. */
static int gup_basic(unsigned long cmd, void *addr, unsigned long pages, unsigned int flags)
{
	struct gup_test g = {
		.addr = (uintptr_t)addr,
		.size = pages * PAGE,
		.nr_pages_per_call = pages,
		.gup_flags = flags,
	};
	if (ioctl(gup_fd(), cmd, &g))
		return errno;
	if (g.size != pages * PAGE)
		die("gup_test: only %llu of %lu bytes taken", (unsigned long long)g.size, pages * PAGE);
	return 0;
}

/* ---- io_uring fixed buffers (FOLL_WRITE | FOLL_PIN | FOLL_LONGTERM on 6.1) ---------------- */
static int uring_register(struct io_uring *r, void *addr, unsigned long pages)
{
	int ret = io_uring_queue_init(4, r, 0);
	if (ret)
		die("io_uring_queue_init: %s", strerror(-ret));
	struct iovec iov = { addr, pages * PAGE };
	ret = io_uring_register_buffers(r, &iov, 1); /* liburing returns -errno */
	return -ret;
}

/* read `len` bytes of the registered buffer (at addr) through the pin: IORING_OP_WRITE_FIXED
 * into a pipe, then read the pipe */
static void uring_read(struct io_uring *r, void *addr, size_t len, void *dst)
{
	int p[2];
	if (pipe(p))
		die("pipe: %s", strerror(errno));
	struct io_uring_sqe *sqe = io_uring_get_sqe(r);
	io_uring_prep_write_fixed(sqe, p[1], addr, len, 0, 0);
	if (io_uring_submit(r) != 1)
		die("io_uring_submit failed");
	struct io_uring_cqe *cqe;
	int ret = io_uring_wait_cqe(r, &cqe);
	if (ret || cqe->res != (int)len)
		die("write_fixed: ret %d res %d", ret, ret ? 0 : cqe->res);
	io_uring_cqe_seen(r, cqe);
	if (read(p[0], dst, len) != (ssize_t)len)
		die("read pipe: %s", strerror(errno));
	close(p[0]);
	close(p[1]);
}

/* `dma H write|read` through a registered buffer: the "device" is a file on tmpfs;
 * IORING_OP_READ_FIXED writes memory (a read from the device), IORING_OP_WRITE_FIXED reads it.
 * Returns 0 or the errno. */
static int uring_dma(struct io_uring *r, void *addr, unsigned long pages, int write_memory)
{
	int fd = make_file("/tmp", pages, 'D');
	struct io_uring_sqe *sqe = io_uring_get_sqe(r);
	if (write_memory)
		io_uring_prep_read_fixed(sqe, fd, addr, pages * PAGE, 0, 0);
	else
		io_uring_prep_write_fixed(sqe, fd, addr, pages * PAGE, 0, 0);
	if (io_uring_submit(r) != 1)
		die("io_uring_submit failed");
	struct io_uring_cqe *cqe;
	int ret = io_uring_wait_cqe(r, &cqe);
	if (ret)
		die("io_uring_wait_cqe: %s", strerror(-ret));
	int res = cqe->res;
	io_uring_cqe_seen(r, cqe);
	close(fd);
	return res < 0 ? -res : (res == (int)(pages * PAGE) ? 0 : EIO);
}

/* `migrate VMA RANGE`: move_pages(2) of the present pages to the other NUMA node (the VM of the
 * differential run has two); EAGAIN when a page stays where it was (pinned, referenced,
 * special like the zero page), 0 when every one moved. */
#include <sys/syscall.h>
static int migrate_range(char *base, unsigned long n)
{
	static void *pages[512];
	static int before[512], nodes[512], after[512];
	unsigned long k = 0;
	for (unsigned long i = 0; i < n && k < 512; i++)
		if (pfn_of(base + i * PAGE))
			pages[k++] = base + i * PAGE;
	if (!k)
		return 0;
	if (syscall(SYS_move_pages, 0, k, pages, NULL, before, 0))
		die("move_pages (query): %s", strerror(errno));
	for (unsigned long i = 0; i < k; i++) {
		if (before[i] < 0) /* a special page (the zero page): it stays */
			return EAGAIN;
		nodes[i] = before[i] == 0 ? 1 : 0;
	}
	if (syscall(SYS_move_pages, 0, k, pages, nodes, after, 4 /* MPOL_MF_MOVE_ALL */) < 0 &&
	    errno == ENODEV)
		die("move_pages: no second NUMA node (the differential run's VM has two)");
	if (syscall(SYS_move_pages, 0, k, pages, NULL, after, 0))
		die("move_pages (query): %s", strerror(errno));
	for (unsigned long i = 0; i < k; i++)
		if (after[i] != nodes[i])
			return EAGAIN;
	return 0;
}

/* `put H` of a registered buffer: unpin_user_pages, then the ring goes */
static int uring_unregister(struct io_uring *r)
{
	int ret = io_uring_unregister_buffers(r);
	io_uring_queue_exit(r);
	return -ret;
}

/* ---- pin-lost-by-cow: does the pin still hold the page the process maps? ----------------- */
/* `through_pin` is what the pin's pages hold, `pfn_at_pin` what the page table had when the
 * pin was taken. Lost if the data differ or the process now maps another PFN. */
static int pin_lost(int line, const char *vma, unsigned long page, const char *addr,
		    const char *through_pin, uint64_t pfn_at_pin)
{
	uint64_t now = pfn_of(addr);
	int same_data = memcmp(through_pin, addr, PAGE) == 0;
	info("after line %d: %s page %lu maps pfn %#" PRIx64 " (pinned pfn %#" PRIx64
	     "); through the pin '%c', through the mapping '%c'",
	     line, vma, page, now, pfn_at_pin, through_pin[0] ? through_pin[0] : '0',
	     addr[0] ? addr[0] : '0');
	return !same_data || now != pfn_at_pin;
}

static void obs_pin_lost_gup(int line, const char *vma, unsigned long page, const char *addr,
			     uint64_t pfn_at_pin)
{
	static char buf[PAGE];
	pin_read(buf);
	obs_violation(line, "pin-lost-by-cow", pin_lost(line, vma, page, addr, buf, pfn_at_pin));
}

static void obs_pin_lost_uring(int line, struct io_uring *r, const char *vma, unsigned long page,
			       char *addr, uint64_t pfn_at_pin)
{
	static char buf[PAGE];
	uring_read(r, addr, PAGE, buf);
	obs_violation(line, "pin-lost-by-cow", pin_lost(line, vma, page, addr, buf, pfn_at_pin));
}

/* ---- process synchronisation (parent <-> child over pipes) -------------------------------- */
struct chan {
	int down[2]; /* parent -> child */
	int up[2];   /* child -> parent */
};

static void chan_init(struct chan *c)
{
	if (pipe(c->down) || pipe(c->up))
		die("pipe: %s", strerror(errno));
}

static void chan_send(int fd, char m)
{
	if (write(fd, &m, 1) != 1)
		die("chan write: %s", strerror(errno));
}

static char chan_recv(int fd)
{
	char m;
	if (read(fd, &m, 1) != 1)
		die("chan read: peer gone");
	return m;
}

/* parent: tell the child to run step m, wait until it has */
static void child_do(struct chan *c, char m)
{
	chan_send(c->down[1], m);
	if (chan_recv(c->up[0]) != m)
		die("child did not acknowledge step %c", m);
}

/* fork a child that runs step(m, arg) for every step m the parent sends (child_do), acknowledges
 * it, and exits on 'q' (child_end) */
static pid_t fork_child(struct chan *c, void (*step)(char m, void *arg), void *arg)
{
	chan_init(c);
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		for (;;) {
			char m = chan_recv(c->down[0]);
			if (m == 'q')
				_exit(0);
			step(m, arg);
			chan_send(c->up[1], m);
		}
	}
	return pid;
}

/* a child step: on 'w' write 'C' over the page at arg, logging its PFN before and after */
static void step_write_page(char m, void *arg)
{
	char *page = arg;
	if (m != 'w')
		return;
	info("child: page %p maps pfn %#" PRIx64 " before its write", (void *)page, pfn_of(page));
	memset(page, 'C', PAGE);
	info("child: page %p maps pfn %#" PRIx64 " after its write", (void *)page, pfn_of(page));
}

/* end a child: tell it to exit, reap it, fail if it failed */
static void child_end(struct chan *c, pid_t pid)
{
	int st;
	chan_send(c->down[1], 'q');
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		die("child failed (status %#x)", st);
}

#endif
