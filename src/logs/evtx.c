/* Windows event logs (.evtx) through libevtx: each record's XML is taken
 * apart into the fields the rules need (provider name, level, the Data
 * values of EventData); the written time comes from the record header.
 *   Application: MSExchange Unified Messaging errors with
 *     System.InvalidCastException (CVE-2021-26857).
 *   MSExchange Management: New-MailboxExportRequest to an .aspx or UNC path,
 *     New-ManagementRoleAssignment for Mailbox Import Export,
 *     Remove-MailboxExportRequest, Set-OabVirtualDirectory -ExternalUrl with
 *     script. */
#include <libevtx.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logs_internal.h"

#define MAX_XML (1024 * 1024) /* records are at most a chunk (64 KiB) */
#define MSG_MAX (16 * 1024)

/* Appends s[0..n) to the message, undoing XML character escapes. */
static size_t unescape_into(char *dst, size_t cap, size_t len, const char *s, size_t n)
{
	static const struct {
		const char *ent;
		char c;
	} ents[] = {
	        {"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}, {"&apos;", '\''}};

	for (size_t i = 0; i < n && len + 1 < cap;) {
		size_t k;

		if (s[i] == '&') {
			for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++) {
				size_t el = strlen(ents[k].ent);

				if (i + el <= n && memcmp(s + i, ents[k].ent, el) == 0) {
					dst[len++] = ents[k].c;
					i += el;
					break;
				}
			}
			if (k < sizeof(ents) / sizeof(ents[0]))
				continue;
		}
		dst[len++] = s[i++];
	}
	dst[len] = '\0';
	return len;
}

/* The text of the first <tag>...</tag> (or <tag attr...>...</tag>). */
static bool element_text(const char *x, size_t n, const char *tag, const char **out, size_t *outn)
{
	char open[64], close[64];
	const char *p = x, *end = x + n;

	snprintf(open, sizeof(open), "<%s", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	while ((p = lg_find(p, (size_t)(end - p), open))) {
		const char *gt, *c;

		p += strlen(open);
		if (p >= end || (*p != '>' && *p != ' '))
			continue;
		gt = memchr(p, '>', (size_t)(end - p));
		if (!gt || gt[-1] == '/')
			return false;
		c = lg_find(gt + 1, (size_t)(end - gt - 1), close);
		if (!c)
			return false;
		*out = gt + 1;
		*outn = (size_t)(c - gt - 1);
		return true;
	}
	return false;
}

/* Provider Name="..." */
static bool provider_name(const char *x, size_t n, const char **out, size_t *outn)
{
	const char *p = lg_find(x, n, "<Provider "), *q, *e;

	if (!p)
		return false;
	e = memchr(p, '>', n - (size_t)(p - x));
	if (!e)
		return false;
	q = lg_find(p, (size_t)(e - p), " Name=\"");
	if (!q)
		return false;
	q += 7;
	*out = q;
	e = memchr(q, '"', (size_t)(e - q));
	if (!e)
		return false;
	*outn = (size_t)(e - q);
	return true;
}

/* All Data values of EventData, space-separated, unescaped. */
static size_t event_data(const char *x, size_t n, char *msg, size_t cap)
{
	const char *ed, *p, *end;
	size_t edn, len = 0;

	msg[0] = '\0';
	if (!element_text(x, n, "EventData", &ed, &edn) &&
	    !element_text(x, n, "UserData", &ed, &edn))
		return 0;
	p = ed;
	end = ed + edn;
	while (p < end) {
		const char *lt = memchr(p, '<', (size_t)(end - p));
		const char *stop = lt ? lt : end;

		/* the XML is indented: drop the white space around values */
		while (p < stop && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
			p++;
		while (stop > p && (stop[-1] == ' ' || stop[-1] == '\n' || stop[-1] == '\r' ||
		                    stop[-1] == '\t'))
			stop--;
		if (stop > p) {
			if (len && len + 1 < cap)
				msg[len++] = ' ';
			len = unescape_into(msg, cap, len, p, (size_t)(stop - p));
		}
		if (!lt)
			break;
		p = memchr(lt, '>', (size_t)(end - lt));
		if (!p)
			break;
		p++;
	}
	return len;
}

static bool has_script(const char *s, size_t n)
{
	return lg_find_ci(s, n, "<script") || lg_find_ci(s, n, "runat=") ||
	       lg_find_ci(s, n, "eval(") || lg_find_ci(s, n, "Request[");
}

static void check_event(struct lg_file *f, const char *x, size_t n, uint64_t rid, int64_t ts,
                        char *msg)
{
	const char *prov = "", *lvl = "";
	size_t pn = 0, ln = 0, mn = event_data(x, n, msg, MSG_MAX);
	struct lg_hit h = {.ts = ts, .text = msg, .text_len = mn, .line = rid};
	const char *p;

	provider_name(x, n, &prov, &pn);
	element_text(x, n, "Level", &lvl, &ln);
	if (lg_eq_ci(prov, pn, "MSExchange Unified Messaging") && ln == 1 && lvl[0] == '2' &&
	    lg_find(msg, mn, "System.InvalidCastException")) {
		h.rule = LG_R_EVTX_UM;
		lg_file_hit(f, &h);
		return;
	}
	if ((p = lg_find_ci(msg, mn, "New-MailboxExportRequest"))) {
		size_t rest = mn - (size_t)(p - msg);

		if (lg_find_ci(p, rest, ".aspx") || lg_find(p, rest, "\\\\")) {
			h.rule = LG_R_EVTX_EXPORT;
			h.success = true;
			lg_file_hit(f, &h);
		}
		return;
	}
	if ((p = lg_find_ci(msg, mn, "New-ManagementRoleAssignment")) &&
	    lg_find_ci(p, mn - (size_t)(p - msg), "Mailbox Import Export")) {
		h.rule = LG_R_EVTX_ROLE;
		h.success = true;
		lg_file_hit(f, &h);
		return;
	}
	if (lg_find_ci(msg, mn, "Remove-MailboxExportRequest")) {
		h.rule = LG_R_EVTX_REMOVE;
		h.success = true;
		lg_file_hit(f, &h);
		return;
	}
	if ((p = lg_find_ci(msg, mn, "Set-OabVirtualDirectory")) &&
	    lg_find_ci(p, mn - (size_t)(p - msg), "ExternalUrl") &&
	    has_script(p, mn - (size_t)(p - msg))) {
		h.rule = LG_R_EVTX_OAB_SCRIPT;
		h.success = true;
		lg_file_hit(f, &h);
	}
}

/* The cause of a libevtx error, without the function names: libevtx gives a
 * backtrace, one "function: message" per line, the cause first. */
static void evtx_cause(libevtx_error_t **e, char *detail, size_t cap)
{
	char *nl, *colon;
	size_t l;

	detail[0] = '\0';
	if (!e || !*e)
		return;
	libevtx_error_backtrace_sprint(*e, detail, cap);
	libevtx_error_free(e);
	nl = strchr(detail, '\n');
	if (nl)
		*nl = '\0';
	colon = strstr(detail, ": ");
	if (colon)
		memmove(detail, colon + 2, strlen(colon + 2) + 1);
	l = strlen(detail);
	while (l > 0 && (detail[l - 1] == '.' || detail[l - 1] == '\r'))
		detail[--l] = '\0';
}

static int evtx_error(struct exs_error *err, const char *name, const char *what,
                      libevtx_error_t **e)
{
	char detail[4096];

	evtx_cause(e, detail, sizeof(detail));
	return exs_error_set(err, "cannot read event log '%s': %s%s%s", name, what,
	                     detail[0] ? ": " : "", detail);
}

/* Reads one record (recovered: from a damaged chunk or free space) and
 * checks it; a record libevtx cannot decode is counted in f->unreadable and
 * the first cause is kept. */
static void read_record(libevtx_file_t *file, int i, bool recovered, struct lg_file *f,
                        uint8_t *xml, char *msg, char *cause, size_t cause_cap)
{
	libevtx_record_t *rec = NULL;
	libevtx_error_t *e = NULL;
	uint64_t rid = 0, ft = 0;
	size_t size = 0;
	int64_t ts = 0;
	int got;

	f->lines++;
	got = recovered ? libevtx_file_get_recovered_record_by_index(file, i, &rec, &e)
	                : libevtx_file_get_record_by_index(file, i, &rec, &e);
	if (got != 1 || libevtx_record_get_utf8_xml_string_size(rec, &size, &e) != 1 || size == 0 ||
	    size > MAX_XML || libevtx_record_get_utf8_xml_string(rec, xml, size, &e) != 1) {
		if (!cause[0] && e)
			evtx_cause(&e, cause, cause_cap);
		libevtx_error_free(&e);
		libevtx_record_free(&rec, NULL);
		f->unreadable++;
		return;
	}
	libevtx_record_get_identifier(rec, &rid, NULL);
	if (libevtx_record_get_written_time(rec, &ft, NULL) == 1 && ft > 116444736000000000ULL)
		ts = (int64_t)((ft - 116444736000000000ULL) / 10000000ULL);
	check_event(f, (const char *)xml, strnlen((const char *)xml, size), rid, ts, msg);
	libevtx_record_free(&rec, NULL);
}

int lg_read_evtx(int fd, const char *name, struct lg_file *f, struct exs_error *err)
{
	libevtx_file_t *file = NULL;
	libevtx_error_t *e = NULL;
	char path[64], cause[512] = "", *msg = NULL;
	uint8_t *xml = NULL;
	int n = 0, nrec = 0, rc = 0;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	msg = malloc(MSG_MAX);
	xml = malloc(MAX_XML);
	if (!msg || !xml) {
		rc = exs_error_set(err, "out of memory reading '%s'", name);
		goto out;
	}
	if (libevtx_file_initialize(&file, &e) != 1) {
		rc = evtx_error(err, name, "libevtx", &e);
		goto out;
	}
	if (libevtx_file_open(file, path, LIBEVTX_OPEN_READ, &e) != 1) {
		rc = evtx_error(err, name, "not an EVTX file", &e);
		goto out;
	}
	if (libevtx_file_get_number_of_records(file, &n, &e) != 1) {
		rc = evtx_error(err, name, "no record table", &e);
		goto close;
	}
	if (libevtx_file_get_number_of_recovered_records(file, &nrec, NULL) != 1)
		nrec = 0;
	for (int i = 0; i < n; i++)
		read_record(file, i, false, f, xml, msg, cause, sizeof(cause));
	for (int i = 0; i < nrec; i++)
		read_record(file, i, true, f, xml, msg, cause, sizeof(cause));
	/* most records unreadable: the log says little, the host is not
	 * scanned completely; a few are counted and reported with the file */
	if (f->unreadable && f->unreadable * 2 > f->lines) {
		f->unreadable_fatal = true;
		rc = exs_error_set(err,
		                   "event log '%s': %llu of %llu records cannot be decoded%s%s",
		                   name, (unsigned long long)f->unreadable,
		                   (unsigned long long)f->lines, cause[0] ? ": " : "", cause);
	} else if (libevtx_file_is_corrupted(file, NULL) == 1) {
		rc = exs_error_set(err,
		                   "event log '%s' is damaged: records in it may be missing (%d "
		                   "read, %d recovered, %llu cannot be decoded)",
		                   name, n, nrec, (unsigned long long)f->unreadable);
		f->unreadable_fatal = true;
	}
close:
	libevtx_file_close(file, NULL);
out:
	libevtx_file_free(&file, NULL);
	free(msg);
	free(xml);
	return rc;
}
