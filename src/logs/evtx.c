/* Windows event logs (.evtx) through libevtx: each record's XML is taken
 * apart into the fields the rules need (provider name, level, event ID, the
 * Data values of EventData); the written time comes from the record header.
 *   Application: MSExchange Unified Messaging errors with
 *     System.InvalidCastException (CVE-2021-26857).
 *   MSExchange Management: New-MailboxExportRequest to an .aspx or UNC path,
 *     New-ManagementRoleAssignment for Mailbox Import Export,
 *     Remove-MailboxExportRequest, Set-OabVirtualDirectory -ExternalUrl with
 *     script, Install-/Enable-TransportAgent, New-ExchangeCertificate with a
 *     request file named like a web page.
 *   PowerShell (Operational, Windows PowerShell): the same cmdlets when they
 *     are run (not when a module merely defines them), except the removal.
 *   Security 4688 and Sysmon 1: a command interpreter or attack tool started
 *     by w3wp.exe (the IIS worker: a webshell running commands).
 *   System: read (damage is reported), no rule yet.
 * Security, Sysmon and System records of other event IDs are counted but
 * not rendered as XML. */
#include <libevtx.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logs_internal.h"

#define MAX_XML (1024 * 1024) /* records are at most a chunk (64 KiB) */
#define MSG_MAX (64 * 1024)

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

enum lg_evtx_channel lg_evtx_channel(const char *base)
{
	size_t n = strlen(base);

	if (lg_eq_ci(base, n, "Application.evtx") || lg_find_ci(base, n, "MSExchange Management"))
		return LG_EVTX_EXCHANGE;
	if (lg_eq_ci(base, n, "Microsoft-Windows-PowerShell%4Operational.evtx") ||
	    lg_eq_ci(base, n, "Windows PowerShell.evtx"))
		return LG_EVTX_POWERSHELL;
	if (lg_eq_ci(base, n, "Security.evtx"))
		return LG_EVTX_SECURITY;
	if (lg_eq_ci(base, n, "Microsoft-Windows-Sysmon%4Operational.evtx"))
		return LG_EVTX_SYSMON;
	if (lg_eq_ci(base, n, "System.evtx"))
		return LG_EVTX_SYSTEM;
	return LG_EVTX_OTHER;
}

static bool is_word(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/* Where cmdlet is run in msg, or NULL. In the Exchange cmdlet log every
 * mention is a run. In PowerShell logs a run is "CommandInvocation(name)"
 * (module logging) or the name followed by a parameter ("-Name") or a
 * quoted argument; a module defining or exporting the cmdlet
 * ("function name {", "'name',") is not. */
static const char *cmdlet_run(const char *msg, size_t mn, const char *cmdlet, bool strict)
{
	size_t cl = strlen(cmdlet);
	const char *p = msg, *end = msg + mn;

	while ((p = lg_find_ci(p, (size_t)(end - p), cmdlet))) {
		const char *q = p + cl;

		if ((p > msg && is_word(p[-1])) || (q < end && is_word(*q))) {
			p = q;
			continue;
		}
		if (!strict)
			return p;
		if (p - msg >= 18 && lg_prefix_ci(p - 18, 18, "CommandInvocation(") && q < end &&
		    *q == ')')
			return p;
		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		if (q + 1 < end && (*q == '-' || *q == '"' || *q == '\'') &&
		    ((q[1] >= 'a' && q[1] <= 'z') || (q[1] >= 'A' && q[1] <= 'Z') ||
		     (*q != '-' && (q[1] == '\\' || q[1] == '$' || (q[1] >= '0' && q[1] <= '9')))))
			return p;
		p += cl;
	}
	return NULL;
}

/* A file name ending in a web page extension, in the -RequestFile value
 * (up to the next parameter or line). */
static bool web_request_file(const char *p, size_t n)
{
	static const char *const ext[] = {".aspx", ".ashx", ".asmx",   ".asax", ".ascx",
	                                  ".asp",  ".svc",  ".cshtml", ".php",  ".jsp"};
	const char *rf = lg_find_ci(p, n, "RequestFile"), *end, *e;

	if (!rf)
		return false;
	rf += 11;
	end = p + n;
	for (e = rf; e < end; e++)
		if (*e == '\n' || *e == '\r' || (e > rf + 1 && *e == '-' && e[-1] == ' '))
			break;
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		size_t el = strlen(ext[i]);

		for (const char *x = rf; (x = lg_find_ci(x, (size_t)(e - x), ext[i])); x += el)
			if (x + el == e || !is_word(x[el]))
				return true;
	}
	return false;
}

/* A path under a folder anyone can write, a share or a web folder. */
static bool odd_assembly_path(const char *p, size_t n)
{
	static const char *const odd[] = {"\\ProgramData\\",   "\\Temp\\",     "\\Users\\",
	                                  "\\inetpub\\",       "\\PerfLogs\\", "\\Windows\\Tasks\\",
	                                  "\\aspnet_client\\", "\\\\"};
	const char *ap = lg_find_ci(p, n, "AssemblyPath");

	if (!ap)
		return false;
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
		if (lg_find_ci(ap, n - (size_t)(ap - p), odd[i]))
			return true;
	return false;
}

/* The text of <Data Name="name">...</Data> (raw, XML escapes kept). */
static bool data_named(const char *x, size_t n, const char *name, const char **out, size_t *outn)
{
	char key[64];
	const char *p, *e;
	int kl = snprintf(key, sizeof(key), "<Data Name=\"%s\">", name);

	if (kl <= 0 || (size_t)kl >= sizeof(key) || !(p = lg_find(x, n, key)))
		return false;
	p += kl;
	e = lg_find(p, n - (size_t)(p - x), "</Data>");
	if (!e)
		return false;
	*out = p;
	*outn = (size_t)(e - p);
	return true;
}

static struct lg_field base_of(const char *p, size_t n)
{
	struct lg_field b = {p, n};

	for (size_t i = n; i-- > 0;)
		if (p[i] == '\\' || p[i] == '/') {
			b.p = p + i + 1;
			b.n = n - i - 1;
			break;
		}
	return b;
}

/* Children of w3wp.exe that mean a webshell runs commands (compilers and
 * crash reporting, which ASP.NET starts itself, are not here). */
static bool shell_child(struct lg_field b)
{
	static const char *const kids[] = {
	        "cmd.exe",      "powershell.exe", "pwsh.exe",     "cscript.exe",    "wscript.exe",
	        "mshta.exe",    "rundll32.exe",   "regsvr32.exe", "certutil.exe",   "bitsadmin.exe",
	        "whoami.exe",   "net.exe",        "net1.exe",     "nltest.exe",     "wmic.exe",
	        "reg.exe",      "schtasks.exe",   "tasklist.exe", "systeminfo.exe", "ipconfig.exe",
	        "quser.exe",    "query.exe",      "procdump.exe", "procdump64.exe", "msiexec.exe",
	        "ntdsutil.exe", "vssadmin.exe",   "dsquery.exe",  "nslookup.exe",   "ping.exe",
	        "curl.exe",     "hostname.exe",   "attrib.exe",   "makecab.exe",    "ftp.exe",
	        "sc.exe",       "at.exe",         "wevtutil.exe",
	};

	for (size_t i = 0; i < sizeof(kids) / sizeof(kids[0]); i++)
		if (lg_eq_ci(b.p, b.n, kids[i]))
			return true;
	return false;
}

/* Security 4688 (ParentProcessName, NewProcessName) and Sysmon 1
 * (ParentImage, Image): a shell under w3wp.exe. The excerpt names both
 * and the command line. */
static bool w3wp_child(const char *x, size_t n, bool sysmon, char *msg, size_t *mn)
{
	const char *pp, *cp, *cl = "";
	size_t ppn, cpn, cln = 0;
	int len;

	if (!data_named(x, n, sysmon ? "ParentImage" : "ParentProcessName", &pp, &ppn) ||
	    !data_named(x, n, sysmon ? "Image" : "NewProcessName", &cp, &cpn))
		return false;
	if (!lg_eq_ci(base_of(pp, ppn).p, base_of(pp, ppn).n, "w3wp.exe") ||
	    !shell_child(base_of(cp, cpn)))
		return false;
	data_named(x, n, "CommandLine", &cl, &cln);
	len = snprintf(msg, MSG_MAX, "%.*s -> %.*s: ", (int)(ppn > 1024 ? 1024 : ppn), pp,
	               (int)(cpn > 1024 ? 1024 : cpn), cp);
	*mn = unescape_into(msg, MSG_MAX, len > 0 ? (size_t)len : 0, cl, cln);
	return true;
}

static void hit(struct lg_file *f, struct lg_hit *h, enum lg_rule rule)
{
	h->rule = rule;
	h->success = true;
	lg_file_hit(f, h);
}

/* The Exchange cmdlets (cmdlet log, PowerShell logs). strict: PowerShell,
 * where a cmdlet's name is also in the modules that define it. */
static void check_cmdlets(struct lg_file *f, struct lg_hit *h, const char *msg, size_t mn,
                          bool strict)
{
	const char *p;
	size_t rest;

	if ((p = cmdlet_run(msg, mn, "New-MailboxExportRequest", strict))) {
		rest = mn - (size_t)(p - msg);
		if (lg_find_ci(p, rest, ".aspx") || lg_find(p, rest, "\\\\"))
			hit(f, h, LG_R_EVTX_EXPORT);
		return;
	}
	if ((p = cmdlet_run(msg, mn, "New-ManagementRoleAssignment", strict)) &&
	    lg_find_ci(p, mn - (size_t)(p - msg), "Mailbox Import Export")) {
		hit(f, h, LG_R_EVTX_ROLE);
		return;
	}
	if (!strict && lg_find_ci(msg, mn, "Remove-MailboxExportRequest")) {
		hit(f, h, LG_R_EVTX_REMOVE);
		return;
	}
	if ((p = cmdlet_run(msg, mn, "Set-OabVirtualDirectory", strict)) &&
	    lg_find_ci(p, mn - (size_t)(p - msg), "ExternalUrl") &&
	    has_script(p, mn - (size_t)(p - msg))) {
		hit(f, h, LG_R_EVTX_OAB_SCRIPT);
		return;
	}
	if ((p = cmdlet_run(msg, mn, "New-ExchangeCertificate", strict)) &&
	    web_request_file(p, mn - (size_t)(p - msg))) {
		hit(f, h, LG_R_EVTX_CERT_WEBSHELL);
		return;
	}
	if ((p = cmdlet_run(msg, mn, "Install-TransportAgent", strict)) ||
	    (p = cmdlet_run(msg, mn, "Enable-TransportAgent", strict)))
		hit(f, h,
		    odd_assembly_path(msg, mn) ? LG_R_EVTX_AGENT_ODD_PATH
		                               : LG_R_EVTX_TRANSPORT_AGENT);
}

static void check_event(struct lg_file *f, const char *x, size_t n, uint64_t rid, int64_t ts,
                        char *msg, enum lg_evtx_channel ch)
{
	const char *prov = "", *lvl = "", *eid = "";
	size_t pn = 0, ln = 0, en = 0, mn;
	struct lg_hit h = {.ts = ts, .text = msg, .line = rid};

	provider_name(x, n, &prov, &pn);
	element_text(x, n, "EventID", &eid, &en);
	if ((ch == LG_EVTX_SECURITY || ch == LG_EVTX_OTHER) && lg_eq_ci(eid, en, "4688") &&
	    w3wp_child(x, n, false, msg, &mn)) {
		h.text_len = mn;
		hit(f, &h, LG_R_EVTX_W3WP_CHILD);
		return;
	}
	if ((ch == LG_EVTX_SYSMON || ch == LG_EVTX_OTHER) && lg_eq_ci(eid, en, "1") &&
	    lg_eq_ci(prov, pn, "Microsoft-Windows-Sysmon") && w3wp_child(x, n, true, msg, &mn)) {
		h.text_len = mn;
		hit(f, &h, LG_R_EVTX_W3WP_CHILD);
		return;
	}
	if (ch != LG_EVTX_EXCHANGE && ch != LG_EVTX_POWERSHELL && ch != LG_EVTX_OTHER)
		return;
	if (ch == LG_EVTX_OTHER) { /* a file read with --kind: its records name their channel */
		const char *c = "";
		size_t cn = 0;

		if (element_text(x, n, "Channel", &c, &cn) && lg_find_ci(c, cn, "PowerShell"))
			ch = LG_EVTX_POWERSHELL;
	}
	mn = event_data(x, n, msg, MSG_MAX);
	h.text_len = mn;
	element_text(x, n, "Level", &lvl, &ln);
	if (ch != LG_EVTX_POWERSHELL && lg_eq_ci(prov, pn, "MSExchange Unified Messaging") &&
	    ln == 1 && lvl[0] == '2' && lg_find(msg, mn, "System.InvalidCastException")) {
		h.rule = LG_R_EVTX_UM;
		lg_file_hit(f, &h);
		return;
	}
	check_cmdlets(f, &h, msg, mn, ch == LG_EVTX_POWERSHELL);
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
 * the first cause is kept (a recovered one is left out: libevtx finds them
 * in slack space, where they are often cut). */
static void read_record(libevtx_file_t *file, int i, bool recovered, enum lg_evtx_channel ch,
                        struct lg_file *f, uint8_t *xml, char *msg, char *cause, size_t cause_cap)
{
	libevtx_record_t *rec = NULL;
	libevtx_error_t *e = NULL;
	uint64_t rid = 0, ft = 0;
	size_t size = 0;
	int64_t ts = 0;
	uint32_t id = 0;
	int got;

	got = recovered ? libevtx_file_get_recovered_record_by_index(file, i, &rec, &e)
	                : libevtx_file_get_record_by_index(file, i, &rec, &e);
	if (got == 1 && libevtx_record_get_written_time(rec, &ft, NULL) == 1 &&
	    ft > 116444736000000000ULL) {
		ts = (int64_t)((ft - 116444736000000000ULL) / 10000000ULL);
		lg_span_add(&f->oldest, &f->newest, ts);
	}
	/* these channels are large and only one event matters in each (an
	 * event ID libevtx cannot give is looked for in the XML) */
	if (got == 1 && (ch == LG_EVTX_SECURITY || ch == LG_EVTX_SYSMON || ch == LG_EVTX_SYSTEM) &&
	    (ch == LG_EVTX_SYSTEM || (libevtx_record_get_event_identifier(rec, &id, NULL) == 1 &&
	                              (id & 0xffff) != (ch == LG_EVTX_SECURITY ? 4688u : 1u)))) {
		libevtx_record_free(&rec, NULL);
		f->lines++;
		return;
	}
	if (got != 1 || libevtx_record_get_utf8_xml_string_size(rec, &size, &e) != 1 || size == 0 ||
	    size > MAX_XML || libevtx_record_get_utf8_xml_string(rec, xml, size, &e) != 1) {
		if (!cause[0] && e)
			evtx_cause(&e, cause, cause_cap);
		libevtx_error_free(&e);
		libevtx_record_free(&rec, NULL);
		if (!recovered) { /* recovered fragments are often partial: not counted */
			f->lines++;
			f->unreadable++;
		}
		return;
	}
	f->lines++;
	libevtx_record_get_identifier(rec, &rid, NULL);
	check_event(f, (const char *)xml, strnlen((const char *)xml, size), rid, ts, msg, ch);
	libevtx_record_free(&rec, NULL);
}

int lg_read_evtx(int fd, const char *name, struct lg_file *f, struct exs_error *err)
{
	libevtx_file_t *file = NULL;
	libevtx_error_t *e = NULL;
	char path[64], cause[512] = "", *msg = NULL;
	const char *base = strrchr(name, '/');
	enum lg_evtx_channel ch = lg_evtx_channel(base ? base + 1 : name);
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
		read_record(file, i, false, ch, f, xml, msg, cause, sizeof(cause));
	for (int i = 0; i < nrec; i++)
		read_record(file, i, true, ch, f, xml, msg, cause, sizeof(cause));
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
		                   "listed, %d recovered, %llu cannot be decoded)",
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
