/* Attack-test racer (test/integration/escape.test.ts): swap two paths atomically
 * (renameat2 RENAME_EXCHANGE) in a tight loop until killed. Whatever tsrun resolves at
 * either path is, at any instant, one of the two files. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: racer PATH1 PATH2\n");
		return 2;
	}
	for (;;)
		syscall(SYS_renameat2, AT_FDCWD, argv[1], AT_FDCWD, argv[2], 2 /* RENAME_EXCHANGE */);
}
