// SPDX-License-Identifier: GPL-2.0
/* The KTAP writer (see ktap.h). */
#include "ktap.h"

#include <stdarg.h>
#include <string.h>

#include "common.h"

static void indent(const struct ktap *k)
{
	unsigned int i;

	for (i = 0; i < k->depth; i++)
		fputs("    ", k->out);
}

/* s with every character of bad turned into a space. */
static void put_clean(FILE *out, const char *s, const char *bad)
{
	for (; *s; s++)
		fputc(strchr(bad, *s) ? ' ' : *s, out);
}

static int end_line(const struct ktap *k)
{
	fputc('\n', k->out);
	return fflush(k->out) || ferror(k->out) ? -1 : 0;
}

void ktap_begin(struct ktap *k, FILE *out, unsigned int depth, unsigned int plan)
{
	*k = (struct ktap){ .out = out, .depth = depth };
	indent(k);
	fputs("KTAP version 1\n", out);
	indent(k);
	fprintf(out, "1..%u", plan);
	end_line(k);
}

void ktap_diag(const struct ktap *k, const char *fmt, ...)
{
	char text[2 * MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	indent(k);
	fputs("# ", k->out);
	put_clean(k->out, text, "\r\n");
	end_line(k);
}

int ktap_result(struct ktap *k, bool ok, const char *name, const char *fmt, ...)
{
	char data[2 * MSG_MAX] = "";
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(data, sizeof(data), fmt, ap);
		va_end(ap);
	}
	indent(k);
	fprintf(k->out, "%s %u ", ok ? "ok" : "not ok", ++k->done);
	put_clean(k->out, name, "#\r\n");
	if (data[0]) {
		fputs(" # ", k->out);
		put_clean(k->out, data, "\r\n");
	}
	return end_line(k);
}
