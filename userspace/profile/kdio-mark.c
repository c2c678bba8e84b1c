// SPDX-License-Identifier: GPL-2.0
/*
 * kdio-mark: run one of the profiler's markers (kdio/marker.h). The
 * guest's runner runs "kdio-mark case" before each sample of a profiled
 * run, so that kdio's QEMU plugin (plugin/kdio_profile.c) ends one
 * sample's profile and starts the next. On hardware, under KVM or under
 * TCG without the plugin, a marker is a no-op. Prints nothing.
 *
 * -m: first save the memory map of the process that ran this one through a
 * shell (fio, whose exec_prerun runs "sh -c CMD") as ./kdio-maps-PID.txt,
 * so that the profiler can name the functions of fio and its libraries,
 * which ASLR puts elsewhere in every run. Best effort: a map it cannot
 * save leaves those addresses unnamed.
 */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "kdio/marker.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kdio-mark [-m] case|start|end\n"
		"  -m     first save ./kdio-maps-PID.txt, the memory map of the\n"
		"         process that ran this one through a shell (fio)\n"
		"  case   end the profile of one sample and start the next's\n"
		"  start  open a timed window (what a tool that times itself runs)\n"
		"  end    close it\n");
}

static const struct tool tool = {
	.name		= "kdio-mark",
	.numbers	= "",
	.usage		= usage,
	.abi		= 0,
};

/* The parent of process pid, or 0. */
static long parent_of(long pid)
{
	char path[64], buf[512];
	const char *p;
	ssize_t n;
	long ppid;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strrchr(buf, ')');		/* past the command name */
	if (!p || sscanf(p + 1, " %*c %ld", &ppid) != 1)
		return 0;
	return ppid;
}

/* Copy /proc/PID/maps of the shell's parent to ./kdio-maps-PID.txt, once. */
static void save_maps(void)
{
	long pid = parent_of(getppid());
	char src[64], dst[64], buf[4096];
	int in, out;
	ssize_t n;

	if (pid <= 1)
		return;
	snprintf(src, sizeof(src), "/proc/%ld/maps", pid);
	snprintf(dst, sizeof(dst), "kdio-maps-%ld.txt", pid);
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return;
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out >= 0) {
		while ((n = read(in, buf, sizeof(buf))) > 0)
			if (write(out, buf, n) != n)
				break;
		close(out);
	}
	close(in);
}

int main(int argc, char **argv)
{
	int c, maps = 0;

	while ((c = getopt(argc, argv, "mh")) != -1) {
		if (c == 'h') {
			usage(stdout);
			return EXIT_OK;
		}
		if (c == 'm') {
			maps = 1;
			continue;
		}
		return usage_error(&tool, NULL);
	}
	if (maps)
		save_maps();
	if (argc - optind != 1)
		return usage_error(&tool, "give one kind of marker");
	if (!strcmp(argv[optind], "case"))
		KDIO_MARK(KDIO_MARK_CASE);
	else if (!strcmp(argv[optind], "start"))
		KDIO_MARK(KDIO_MARK_START);
	else if (!strcmp(argv[optind], "end"))
		KDIO_MARK(KDIO_MARK_END);
	else
		return usage_error(&tool, "the kind is case, start or end");
	return EXIT_OK;
}
