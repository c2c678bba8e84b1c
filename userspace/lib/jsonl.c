// SPDX-License-Identifier: GPL-2.0
/*
 * JSON-lines writer (see jsonl.h). Strings are escaped per RFC 8259;
 * bytes that are not valid UTF-8 (a path may hold any byte) become U+FFFD,
 * so every line parses.
 */
#include "jsonl.h"

#include <inttypes.h>

/* Length of the valid UTF-8 sequence at s, or 0 if it is not one. */
static int utf8_len(const unsigned char *s)
{
	int n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* overlong 3/4-byte forms, surrogates, beyond U+10FFFF */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return n;
}

static void put_string(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', out);
	while (*s) {
		int n = utf8_len(s);

		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", out);
		else if (*s == '\t')
			fputs("\\t", out);
		else if (*s < 0x20 || *s == 0x7f)
			fprintf(out, "\\u%04x", *s);
		else if (!n)
			fputs("\\ufffd", out);
		else
			fwrite(s, 1, n, out);
		s += n ? n : 1;
	}
	fputc('"', out);
}

static void put_key(struct jsonl *j, const char *key)
{
	fputs(j->fields++ ? "," : "{", j->out);
	put_string(j->out, key);
	fputc(':', j->out);
}

void jsonl_begin(struct jsonl *j, FILE *out)
{
	j->out = out;
	j->fields = 0;
	j->outer_fields = 0;
}

void jsonl_str(struct jsonl *j, const char *key, const char *val)
{
	put_key(j, key);
	if (val)
		put_string(j->out, val);
	else
		fputs("null", j->out);
}

void jsonl_u64(struct jsonl *j, const char *key, uint64_t val)
{
	put_key(j, key);
	fprintf(j->out, "%" PRIu64, val);
}

void jsonl_i64(struct jsonl *j, const char *key, int64_t val)
{
	put_key(j, key);
	fprintf(j->out, "%" PRId64, val);
}

void jsonl_bool(struct jsonl *j, const char *key, bool val)
{
	put_key(j, key);
	fputs(val ? "true" : "false", j->out);
}

void jsonl_null(struct jsonl *j, const char *key)
{
	put_key(j, key);
	fputs("null", j->out);
}

void jsonl_obj_begin(struct jsonl *j, const char *key)
{
	put_key(j, key);
	j->outer_fields = j->fields;
	j->fields = 0;	/* its first field opens it */
}

void jsonl_obj_end(struct jsonl *j)
{
	fputs(j->fields ? "}" : "{}", j->out);
	j->fields = j->outer_fields;
}

int jsonl_end(struct jsonl *j)
{
	fputs(j->fields ? "}\n" : "{}\n", j->out);
	if (fflush(j->out) || ferror(j->out))
		return -1;
	return 0;
}
