/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A busy host for bench-holders.py: forks N processes that each hold M descriptors (a mix of
 * /dev/null, a regular file, pipe ends and sockets, the kinds a real host's processes hold) and
 * sleep until killed; with MIX "files", every descriptor is the regular file. Prints "ready" when
 * all are in place.
 *
 *   busy-host N M FILE [mixed|files] */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

static void hold(int m, const char *file, int kinds)
{
	for (int i = 0; i < m;) {
		int fds[2];
		switch (kinds == 1 ? 1 : i % 4) {
		case 0:
			if (open("/dev/null", O_RDONLY) >= 0)
				i++;
			break;
		case 1:
			if (open(file, O_RDONLY) >= 0)
				i++;
			break;
		case 2:
			if (pipe(fds) == 0)
				i += 2;
			break;
		default:
			if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0)
				i += 2;
			break;
		}
	}
}

int main(int argc, char **argv)
{
	int n, m, ready[2];

	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: busy-host N M FILE [mixed|files]\n");
		return 2;
	}
	n = atoi(argv[1]);
	m = atoi(argv[2]);
	if (pipe(ready) < 0)
		return 1;
	for (int i = 0; i < n; i++) {
		pid_t p = fork();
		if (p < 0) {
			perror("fork");
			kill(0, SIGTERM);
			return 1;
		}
		if (p == 0) {
			char c = 'x';
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close(ready[0]);
			hold(m > 3 ? m - 3 : 1, argv[3],
			     argc == 5 &&
				     !strcmp(argv[4], "files")); /* with stdin, stdout, stderr: M */
			if (write(ready[1], &c, 1) != 1)
				_exit(1);
			close(ready[1]);
			for (;;)
				pause();
		}
	}
	close(ready[1]);
	for (int i = 0; i < n; i++) {
		char c;
		if (read(ready[0], &c, 1) != 1)
			return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
