/* Target specs and the streaming target generator (CIDR blocks are walked
 * with a counter, never expanded). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exscan/buf.h"
#include "exscan/escape.h"
#include "exscan/probe.h"
#include "exscan/shard.h"

#define DEFAULT_PORT 443

static int bad(struct exs_error *err, const char *text, size_t n, const char *why)
{
	struct exs_buf b;
	int rc;

	exs_buf_init(&b, 512);
	exs_escape_excerpt(&b, text, n, 80);
	rc = exs_error_set(err, "'%s' is not a target: %s", exs_buf_cstr(&b), why);
	exs_buf_release(&b);
	return rc;
}

static int parse_port(const char *s, size_t n, unsigned *port)
{
	unsigned v = 0;

	if (n == 0 || n > 5)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*port = v;
	return 0;
}

static bool valid_hostname(const char *s, size_t n)
{
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.' || c == '_'))
			return false;
	}
	return s[0] != '-' && s[0] != '.';
}

int exs_target_spec_parse(const char *text, size_t n, struct exs_target_spec *out,
                          struct exs_error *err)
{
	const char *s = text, *host, *colon;
	size_t len = n, hlen;
	char tmp[256];
	bool bracket = false;

	memset(out, 0, sizeof(*out));
	out->port = DEFAULT_PORT;
	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
		len--;
	if (len == 0)
		return bad(err, text, n, "empty");
	if (memchr(s, '\0', len))
		return bad(err, text, n, "contains a NUL byte");
	if (len >= 8 && strncasecmp(s, "https://", 8) == 0) {
		const char *slash;

		s += 8;
		len -= 8;
		slash = memchr(s, '/', len);
		if (slash)
			len = (size_t)(slash - s); /* the path is not used: probe picks its own */
		if (len == 0)
			return bad(err, text, n, "no host in the URL");
	} else if (len >= 7 && strncasecmp(s, "http://", 7) == 0) {
		return bad(err, text, n, "exscan probes HTTPS only: use https:// or no scheme");
	} else if (memmem(s, len, "://", 3)) {
		return bad(err, text, n, "unsupported URL scheme (only https://)");
	}
	host = s;
	hlen = len;
	if (s[0] == '[') {
		const char *close = memchr(s, ']', len);

		if (!close)
			return bad(err, text, n, "'[' without ']'");
		host = s + 1;
		hlen = (size_t)(close - host);
		bracket = true;
		if ((size_t)(close - s) + 1 < len) {
			if (close[1] != ':' ||
			    parse_port(close + 2, len - (size_t)(close - s) - 2, &out->port))
				return bad(err, text, n,
				           "bad port after ']' (want [addr]:1-65535)");
		}
	} else {
		colon = memchr(s, ':', len);
		if (colon && !memchr(colon + 1, ':', len - (size_t)(colon - s) - 1)) {
			/* exactly one colon: host:port */
			hlen = (size_t)(colon - s);
			if (parse_port(colon + 1, len - hlen - 1, &out->port))
				return bad(err, text, n, "bad port (want 1-65535)");
		}
	}
	if (hlen == 0 || hlen >= sizeof(tmp))
		return bad(err, text, n, hlen ? "host too long" : "no host");
	memcpy(tmp, host, hlen);
	tmp[hlen] = '\0';

	char *slash = strchr(tmp, '/');
	if (slash) {
		char *end;
		unsigned long pfx;

		*slash = '\0';
		errno = 0;
		if (!slash[1] || slash[1] < '0' || slash[1] > '9')
			return bad(err, text, n, "bad CIDR prefix length");
		pfx = strtoul(slash + 1, &end, 10);
		if (*end || errno)
			return bad(err, text, n, "bad CIDR prefix length");
		if (inet_pton(AF_INET, tmp, out->addr) == 1) {
			if (pfx > 32)
				return bad(err, text, n, "IPv4 prefix length over 32");
			out->kind = EXS_TARGET_CIDR4;
			out->prefix = (unsigned)pfx;
			for (unsigned b = out->prefix; b < 32; b++)
				out->addr[b / 8] &= (unsigned char)~(0x80u >> (b % 8));
		} else if (inet_pton(AF_INET6, tmp, out->addr) == 1) {
			if (pfx > 128)
				return bad(err, text, n, "IPv6 prefix length over 128");
			out->kind = EXS_TARGET_CIDR6;
			out->prefix = (unsigned)pfx;
			for (unsigned b = out->prefix; b < 128; b++)
				out->addr[b / 8] &= (unsigned char)~(0x80u >> (b % 8));
		} else {
			return bad(err, text, n, "CIDR needs an IP address before '/'");
		}
		snprintf(out->host, sizeof(out->host), "%s", tmp);
		return 0;
	}
	if (inet_pton(AF_INET, tmp, out->addr) == 1) {
		if (bracket)
			return bad(err, text, n, "brackets are for IPv6 addresses");
		out->kind = EXS_TARGET_IPV4;
	} else if (inet_pton(AF_INET6, tmp, out->addr) == 1) {
		out->kind = EXS_TARGET_IPV6;
	} else if (!bracket && valid_hostname(tmp, hlen)) {
		out->kind = EXS_TARGET_NAME;
	} else {
		return bad(err, text, n, "not a host name, address or CIDR block");
	}
	snprintf(out->host, sizeof(out->host), "%s", tmp);
	return 0;
}

uint64_t exs_target_spec_count(const struct exs_target_spec *s)
{
	unsigned bits;

	switch (s->kind) {
	case EXS_TARGET_CIDR4:
		return 1ull << (32 - s->prefix);
	case EXS_TARGET_CIDR6:
		bits = 128 - s->prefix;
		return bits >= 64 ? UINT64_MAX : 1ull << bits;
	default:
		return 1;
	}
}

struct exs_target_gen {
	char **args;
	int nargs, next_arg;
	FILE *in;
	bool own_in;
	bool skipping; /* the rest of an over-long line is still to be dropped */
	const volatile sig_atomic_t *interrupt; /* set: stop reading (an endless line too) */
	char line[EXS_TARGET_LINE_MAX + 1];
	unsigned long lineno;
	const char *input_name;
	/* the CIDR block being walked */
	bool walking;
	struct exs_target_spec cur;
	unsigned char addr[16];
	bool last; /* addr is the last address of the block */
	/* --shard K/N: index (mod N) of the next target in the whole stream */
	struct exs_shard shard;
	unsigned pos;
};

struct exs_target_gen *exs_target_gen_new(char **args, int nargs, const char *input,
                                          struct exs_error *err)
{
	struct exs_target_gen *g = calloc(1, sizeof(*g));

	if (!g) {
		exs_error_set(err, "out of memory");
		return NULL;
	}
	g->args = args;
	g->nargs = nargs;
	exs_shard_init(&g->shard);
	g->input_name = input;
	if (input && strcmp(input, "-") == 0) {
		g->in = stdin;
	} else if (input) {
		g->in = fopen(input, "r");
		if (!g->in) {
			exs_error_set(err, "cannot open target list '%s': %s", input,
			              strerror(errno));
			free(g);
			return NULL;
		}
		g->own_in = true;
	}
	return g;
}

void exs_target_gen_set_interrupt(struct exs_target_gen *g, const volatile sig_atomic_t *flag)
{
	g->interrupt = flag;
}

void exs_target_gen_free(struct exs_target_gen *g)
{
	if (!g)
		return;
	if (g->own_in)
		fclose(g->in);
	free(g);
}

void exs_target_gen_set_shard(struct exs_target_gen *g, const struct exs_shard *s)
{
	g->shard = *s;
	g->pos = 0;
}

uint64_t exs_target_gen_total(const struct exs_target_gen *g)
{
	uint64_t total = 0, index = 0;

	if (g->in)
		return 0;
	for (int i = 0; i < g->nargs; i++) {
		struct exs_target_spec s;
		uint64_t c;

		if (exs_target_spec_parse(g->args[i], strlen(g->args[i]), &s, NULL)) {
			index++; /* a bad target takes its place in the stream */
			continue;
		}
		c = exs_target_spec_count(&s);
		if (c == UINT64_MAX || index > UINT64_MAX - c)
			return 0;
		total += exs_shard_count(&g->shard, index, c);
		index += c;
	}
	return total;
}

/* Adds one to a big-endian address; true on wrap-around. */
static bool addr_inc(unsigned char *a, size_t len)
{
	for (size_t i = len; i-- > 0;) {
		if (++a[i] != 0)
			return false;
	}
	return true;
}

static bool addr_is_last(const unsigned char *a, const struct exs_target_spec *s)
{
	unsigned total = s->kind == EXS_TARGET_CIDR4 ? 32 : 128;

	for (unsigned b = s->prefix; b < total; b++)
		if (!(a[b / 8] & (0x80u >> (b % 8))))
			return false;
	return true;
}

static void emit_addr(struct exs_target_gen *g, struct exs_target *t)
{
	bool v6 = g->cur.kind == EXS_TARGET_CIDR6;

	memset(t, 0, sizeof(*t));
	inet_ntop(v6 ? AF_INET6 : AF_INET, g->addr, t->host, sizeof(t->host));
	t->is_address = true;
	t->ipv6 = v6;
	t->port = g->cur.port;
	g->last = addr_is_last(g->addr, &g->cur);
	if (g->last)
		g->walking = false;
	else
		addr_inc(g->addr, v6 ? 16 : 4);
}

/* Fills t from a single-host spec (a name or an address). */
static int start_spec(const struct exs_target_spec *s, struct exs_target *t)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->host, sizeof(t->host), "%s", s->host);
	t->port = s->port;
	t->is_address = s->kind != EXS_TARGET_NAME;
	t->ipv6 = s->kind == EXS_TARGET_IPV6;
	return 1;
}

/* Moves past the current address of the block being walked without
 * formatting it (a target of another shard). */
static void skip_addr(struct exs_target_gen *g)
{
	if (addr_is_last(g->addr, &g->cur))
		g->walking = false;
	else
		addr_inc(g->addr, g->cur.kind == EXS_TARGET_CIDR6 ? 16 : 4);
}

/* True when the next target of the stream is ours; counts it either way. */
static bool take(struct exs_target_gen *g)
{
	bool mine = g->shard.n == 0 || g->pos == g->shard.k - 1;

	if (g->shard.n > 0)
		g->pos = (g->pos + 1) % g->shard.n;
	return mine;
}

/* Reads the next line of the input into g->line, without its LF, keeping at
 * most EXS_TARGET_LINE_MAX bytes: its length; -1 at the end of the input;
 * -2 on a read error (errno set); -3 when the line is longer (what is left of
 * it is dropped by the next call, so /dev/zero costs no memory). */
static long read_line(struct exs_target_gen *g)
{
	size_t n = 0;
	int c = 0;

	if (g->skipping) {
		unsigned long k = 0;

		/* /dev/zero is one endless line: a stop request must end it */
		while ((c = getc_unlocked(g->in)) != EOF && c != '\n')
			if (++k % 65536 == 0 && g->interrupt && *g->interrupt)
				return -1;
		g->skipping = false;
		if (c == EOF)
			return ferror(g->in) ? -2 : -1;
	}
	while ((c = getc_unlocked(g->in)) != EOF && c != '\n') {
		if (n == EXS_TARGET_LINE_MAX) {
			g->skipping = true;
			return -3;
		}
		g->line[n++] = (char)c;
	}
	if (c == EOF && (ferror(g->in) || n == 0))
		return ferror(g->in) ? -2 : -1;
	g->line[n] = '\0';
	return (long)n;
}

/* The next spec of the arguments, then of the input: 1, 0 at the end, -1 on
 * a bad spec (err set). */
static int next_spec(struct exs_target_gen *g, struct exs_target_spec *s, struct exs_error *err)
{
	if (g->next_arg < g->nargs) {
		const char *a = g->args[g->next_arg++];

		return exs_target_spec_parse(a, strlen(a), s, err) ? -1 : 1;
	}
	while (g->in) {
		long n = read_line(g);
		char *p;
		size_t len;

		if (n == -1)
			return 0;
		if (n == -2) {
			exs_error_set(err, "reading target list '%s' failed: %s", g->input_name,
			              strerror(errno));
			if (g->own_in)
				fclose(g->in);
			g->in = NULL;
			return -2;
		}
		g->lineno++;
		if (n == -3) {
			exs_error_set(err,
			              "%s:%lu: target line longer than %d bytes: skipped (one host "
			              "name, address, URL or CIDR block per line)",
			              g->input_name, g->lineno, EXS_TARGET_LINE_MAX);
			return -1;
		}
		len = (size_t)n;
		while (len > 0 && (g->line[len - 1] == '\n' || g->line[len - 1] == '\r'))
			len--;
		p = g->line;
		while (len > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		if (len == 0 || *p == '#')
			continue;
		if (exs_target_spec_parse(p, len, s, err)) {
			struct exs_error e2;

			exs_error_set(&e2, "%s:%lu: %s", g->input_name, g->lineno,
			              err ? err->msg : "bad target");
			if (err)
				*err = e2;
			return -1;
		}
		return 1;
	}
	return 0;
}

int exs_target_gen_next(struct exs_target_gen *g, struct exs_target *t, struct exs_error *err)
{
	struct exs_target_spec s;
	int rc;

	for (;;) {
		if (g->walking) {
			if (take(g)) {
				emit_addr(g, t);
				return 1;
			}
			skip_addr(g);
			continue;
		}
		rc = next_spec(g, &s, err);
		if (rc == 0)
			return 0;
		if (rc == -2)
			return -1; /* a read error is every shard's problem */
		if (rc < 0) {
			if (take(g))
				return -1;
			continue; /* another shard reports it */
		}
		if (s.kind == EXS_TARGET_CIDR4 || s.kind == EXS_TARGET_CIDR6) {
			g->cur = s;
			memcpy(g->addr, s.addr, sizeof(g->addr));
			g->walking = true;
			continue;
		}
		if (take(g))
			return start_spec(&s, t);
	}
}
