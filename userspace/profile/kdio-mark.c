// SPDX-License-Identifier: GPL-2.0
/*
 * kdio-mark: run one of the profiler's markers (kdio/marker.h). The
 * guest's runner runs "kdio-mark case" before each sample of a profiled
 * run, so that kdio's QEMU plugin (plugin/kdio_profile.c) ends one
 * sample's profile and starts the next. On hardware, under KVM or under
 * TCG without the plugin, a marker is a no-op. Prints nothing.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "kdio/marker.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kdio-mark case|start|end\n"
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

int main(int argc, char **argv)
{
	int c;

	while ((c = getopt(argc, argv, "h")) != -1) {
		if (c == 'h') {
			usage(stdout);
			return EXIT_OK;
		}
		return usage_error(&tool, NULL);
	}
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
