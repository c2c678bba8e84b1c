// SPDX-License-Identifier: GPL-2.0
/* What the kdio crypto tools share (see crypto_common.h). */
#include "crypto_common.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/pattern.h"

#define PAGE		4096
#define KEY_SEED	0x6b6579ULL	/* "key" */
#define IV_SEED		0x6976ULL	/* "iv" */
#define DATA_SEED	0ULL

static const struct crypto_alg_desc algs[] = {
	{
		.name		= "cbc",
		.alg		= KDIO_CRYPTO_CBC_AES,
		.alg_name	= "cbc(aes)",
		.generic	= "cbc(aes-generic)",
		.afalg_type	= "skcipher",
	},
	{
		.name		= "gcm",
		.alg		= KDIO_CRYPTO_GCM_AES,
		.alg_name	= "rfc4106(gcm(aes))",
		.generic	= "rfc4106(gcm_base(ctr(aes-generic),ghash-generic))",
		.afalg_type	= "aead",
		.tag		= KDIO_CRYPTO_GCM_TAG,
	},
};

const struct crypto_alg_desc *crypto_alg_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (!strcmp(algs[i].name, name))
			return &algs[i];
	return NULL;
}

void crypto_test_key(uint8_t *key, size_t key_len)
{
	kdio_pattern_fill(key, key_len, 0, KEY_SEED);
}

void crypto_test_iv(uint8_t iv[KDIO_CRYPTO_IV_SIZE])
{
	kdio_pattern_fill(iv, KDIO_CRYPTO_IV_SIZE, 0, IV_SEED);
}

void crypto_test_data(void *buf, uint64_t len)
{
	kdio_pattern_fill(buf, len, 0, DATA_SEED);
}

bool crypto_test_data_intact(const void *buf, uint64_t len)
{
	return kdio_pattern_check(buf, len, 0, DATA_SEED) == 0;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void crypto_gcm_hdr(uint8_t hdr[CRYPTO_GCM_HDR],
		    const uint8_t iv[KDIO_CRYPTO_IV_SIZE])
{
	put_be32(hdr, KDIO_CRYPTO_GCM_SPI);
	put_be32(hdr + 4, KDIO_CRYPTO_GCM_SEQ);
	memcpy(hdr + CRYPTO_GCM_AAD, iv + 4, CRYPTO_GCM_HDR - CRYPTO_GCM_AAD);
}

void *crypto_alloc_buf(uint64_t bytes)
{
	uint64_t size = (bytes + PAGE - 1) / PAGE * PAGE;
	void *buf;

	if (posix_memalign(&buf, PAGE, size ? size : PAGE))
		return NULL;
	return buf;
}

const char *crypto_driver_hint(const char *driver)
{
	if (strstr(driver, "virtio"))
		return "load virtio_crypto, in a guest with -device virtio-crypto-pci";
	if (strstr(driver, "aesni"))
		return "load aesni_intel, on a CPU with AES-NI";
	if (strstr(driver, "gcm"))
		return "load gcm, ctr and ghash_generic";
	return "load the module that provides it (see /proc/crypto)";
}

/* The value of a "key : value" line of /proc/crypto, or NULL. */
static const char *proc_crypto_value(char *line, const char *key)
{
	size_t n = strlen(key);
	char *v, *end;

	if (strncmp(line, key, n) || (line[n] != ' ' && line[n] != ':'))
		return NULL;
	v = strchr(line, ':');
	if (!v)
		return NULL;
	for (v++; *v == ' '; v++)
		;
	end = v + strcspn(v, "\n");
	*end = '\0';
	return v;
}

const char *crypto_offered(const char *name, char *buf, size_t len)
{
	FILE *f = fopen("/proc/crypto", "r");
	char line[256], alg[128] = "";
	const char *v;
	size_t used = 0;

	if (!f)
		return "unknown";
	buf[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		if ((v = proc_crypto_value(line, "name")))
			snprintf(alg, sizeof(alg), "%s", v);
		else if ((v = proc_crypto_value(line, "driver")) && !strcmp(alg, name) &&
			 used + strlen(v) + 3 < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%s",
						 used ? ", " : "", v);
	}
	fclose(f);
	return buf[0] ? buf : "none";
}

/*
 * One of the options both benchmarks take: 0, 1 if arg is not a valid
 * value, -1 if c is not one of them.
 */
static int crypto_opt(struct crypto_opts *o, int c, const char *arg,
		      uint64_t *key_bits)
{
	switch (c) {
	case 'a': o->alg = crypto_alg_find(arg); return !o->alg;
	case 'd': o->driver = arg; return 0;
	case 'k': return parse_u64(arg, key_bits) != 0;
	case 's': return parse_size(arg, &o->size) != 0;
	case 'n': return parse_size(arg, &o->count) != 0;
	case 'q': return parse_u64(arg, &o->qd) != 0;
	case 'o':
		o->decrypt = !strcmp(arg, "decrypt");
		return !o->decrypt && strcmp(arg, "encrypt");
	case 'V': o->verify = true; return 0;
	}
	return -1;
}

/* What is wrong with the options, first found first; NULL if nothing. */
static const char *crypto_opts_problem(const struct crypto_cli *cli,
				       const struct crypto_opts *o,
				       const void *own)
{
	const char *why;

	if (!o->alg)
		return "-a must be one of " CRYPTO_ALG_LIST;
	why = cli->own_check ? cli->own_check(own) : NULL;
	if (why)
		return why;
	if (!o->size || !o->count)
		return "-s and -n are required and non-zero";
	if (cli->check_size && (o->size > KDIO_CRYPTO_MAX_LEN ||
				(!o->alg->tag && o->size % KDIO_CRYPTO_BLOCK)))
		return "-s must be 1..1m, for cbc a multiple of 16";
	if (o->key_bits != 128 && o->key_bits != 192 && o->key_bits != 256)
		return "-k must be 128, 192 or 256";
	if (!o->qd || o->qd > KDIO_CRYPTO_MAX_QD)
		return "-q must be 1 to 64";
	if (cli->check_driver_len && strlen(o->driver) >= KDIO_CRYPTO_NAME_MAX)
		return "-d DRIVER is longer than 63 bytes";
	if (o->decrypt && o->alg->tag && o->count > o->qd)
		return "gcm decrypt checks each region's ICV, which a decryption consumes: -n must not exceed -q";
	return NULL;
}

/* "TOOL: " and the message on stderr, then the usage; EXIT_USAGE. */
static int __attribute__((format(printf, 2, 3)))
crypto_usage_error(const struct crypto_cli *cli, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cli->tool);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cli->usage(stderr);
	return EXIT_USAGE;
}

int crypto_parse_args(const struct crypto_cli *cli, int argc, char **argv,
		      struct crypto_opts *o, void *own)
{
	uint64_t key_bits = 128;
	const char *why;
	int c, bad;

	*o = (struct crypto_opts){ .driver = "", .qd = 1 };
	while ((c = getopt(argc, argv, cli->optstring)) != -1) {
		if (c == 'h') {
			cli->usage(stdout);
			exit(EXIT_OK);
		}
		bad = crypto_opt(o, c, optarg, &key_bits);
		if (bad < 0 && cli->own_opt)
			bad = cli->own_opt(own, c, optarg);
		if (bad < 0) {		/* unknown, or its value missing */
			cli->usage(stderr);
			return EXIT_USAGE;
		}
		if (bad)
			return crypto_usage_error(cli, "-%c %s: not a valid value", c, optarg);
	}
	if (optind != argc)
		return crypto_usage_error(cli, "%s: unexpected argument", argv[optind]);
	o->key_bits = key_bits > 256 ? 0 : (unsigned int)key_bits;
	why = crypto_opts_problem(cli, o, own);
	return why ? crypto_usage_error(cli, "%s", why) : 0;
}

/* requests, bytes and, if the run was timed, elapsed_ns and the rates. */
static void crypto_emit_rates(struct jsonl *j, const struct crypto_report *rep)
{
	double ns = (double)rep->elapsed_ns;

	jsonl_u64(j, "requests", rep->requests);
	jsonl_u64(j, "bytes", rep->bytes);
	if (rep->device_irqs >= 0)
		jsonl_i64(j, "device_irqs", rep->device_irqs);
	else
		jsonl_null(j, "device_irqs");
	if (!rep->elapsed_ns || !rep->requests) {
		jsonl_null(j, "elapsed_ns");
		jsonl_null(j, "ops_per_s");
		jsonl_null(j, "bytes_per_s");
		return;
	}
	jsonl_u64(j, "elapsed_ns", rep->elapsed_ns);
	jsonl_u64(j, "ops_per_s", (uint64_t)((double)rep->requests * 1e9 / ns));
	jsonl_u64(j, "bytes_per_s", (uint64_t)((double)rep->bytes * 1e9 / ns));
}

/* s, or NULL (JSON null) if it is empty. */
static const char *crypto_or_null(const char *s)
{
	return s[0] ? s : NULL;
}

int crypto_emit(struct jsonl *j, const struct crypto_opts *o,
		const struct crypto_report *rep, int err)
{
	const struct crypto_outcome *out = rep->out;

	jsonl_str(j, "alg", o->alg->name);
	jsonl_str(j, "driver_requested", crypto_or_null(o->driver));
	jsonl_str(j, "driver", crypto_or_null(rep->driver));
	jsonl_str(j, "path", rep->path);
	jsonl_str(j, "op", o->decrypt ? "decrypt" : "encrypt");
	jsonl_u64(j, "key_bits", o->key_bits);
	jsonl_u64(j, "size", o->size);
	jsonl_u64(j, "count", o->count);
	jsonl_u64(j, "qd", o->qd);
	crypto_emit_rates(j, rep);
	jsonl_str(j, "ciphertext_sha", crypto_or_null(out->sha));
	if (out->verified >= 0)
		jsonl_bool(j, "verified", out->verified);
	else if (o->verify)
		jsonl_null(j, "verified");
	json_error_fields(j, err, crypto_or_null(out->msg));
	return jsonl_end(j);
}

int crypto_exit_code(const struct crypto_outcome *out, int ret)
{
	if (out->unavailable)
		return EXIT_UNAVAILABLE;
	return ret || out->verified == 0 ? EXIT_ERROR : EXIT_OK;
}
