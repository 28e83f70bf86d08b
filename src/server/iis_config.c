/* IIS's applicationHost.config read from the disk (see exscan/server.h).
 *
 * libxml2 parses it without network access and without expanding entities;
 * a tree walk collects <globalModules>, every <virtualDirectory> of every
 * <site>, the Extended Protection of each <location> and the names of URL
 * Rewrite rules.  What is suspicious is decided here from the text alone:
 * the walker turns it into findings. */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exscan/server.h"

#define MAX_ITEMS 4096 /* of each kind: a hostile file cannot make memory grow without end */

static char *attr(xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	char *s = v ? strdup((const char *)v) : NULL;

	xmlFree(v);
	return s;
}

static bool named(xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static int grow(void **items, size_t n, size_t size)
{
	void *p;

	if (n >= MAX_ITEMS)
		return -1;
	if (n & (n - 1) && n) /* grow at powers of two */
		return 0;
	p = realloc(*items, (n ? n * 2 : 8) * size);
	if (!p)
		return -1;
	*items = p;
	return 0;
}

/* Lower case, backslashes to slashes, environment variables of the usual
 * spellings folded: "%windir%\\System32\\inetsrv\\x.dll" ->
 * "c:/windows/system32/inetsrv/x.dll". */
static void norm_path(const char *in, char *out, size_t cap)
{
	static const struct {
		const char *var, *val;
	} vars[] = {
	        {"%windir%", "c:/windows"},
	        {"%systemroot%", "c:/windows"},
	        {"%systemdrive%", "c:"},
	        {"%programfiles%", "c:/program files"},
	        {"%exchangeinstalldir%", "c:/program files/microsoft/exchange server/v15/"},
	        {"%exchangeinstallpath%", "c:/program files/microsoft/exchange server/v15/"},
	};
	size_t o = 0;

	for (size_t i = 0; in[i] && o + 1 < cap;) {
		size_t k;
		bool done = false;

		if (in[i] == '%')
			for (k = 0; k < sizeof(vars) / sizeof(vars[0]) && !done; k++) {
				size_t l = strlen(vars[k].var);

				if (strncasecmp(in + i, vars[k].var, l) == 0) {
					for (const char *v = vars[k].val; *v && o + 1 < cap; v++)
						out[o++] = *v;
					i += l;
					done = true;
				}
			}
		if (done)
			continue;
		out[o++] = in[i] == '\\'
		                   ? '/'
		                   : (char)(in[i] >= 'A' && in[i] <= 'Z' ? in[i] + 32 : in[i]);
		i++;
	}
	out[o] = '\0';
	/* "c:/x//y" -> "c:/x/y" */
	for (char *p = strstr(out, "//"); p; p = strstr(p, "//"))
		memmove(p, p + 1, strlen(p));
}

static bool under(const char *path, const char *dir)
{
	return strncmp(path, dir, strlen(dir)) == 0;
}

/* Where Windows, IIS, .NET and Exchange keep the modules they ship. */
static bool trusted_module_path(const char *image)
{
	char p[1024];

	norm_path(image, p, sizeof(p));
	return under(p, "c:/windows/system32/inetsrv/") ||
	       under(p, "c:/windows/syswow64/inetsrv/") ||
	       under(p, "c:/windows/microsoft.net/framework") ||
	       under(p, "c:/program files/microsoft/exchange server/") ||
	       under(p, "c:/program files/iis/") || under(p, "c:/program files (x86)/iis/");
}

static bool exchange_path(const char *image)
{
	char p[1024];

	if (!image)
		return false;
	norm_path(image, p, sizeof(p));
	return under(p, "c:/program files/microsoft/exchange server/");
}

static bool known_name(const char *name, const char *const *known, size_t n_known)
{
	for (size_t i = 0; name && i < n_known; i++)
		if (strcasecmp(name, known[i]) == 0)
			return true;
	return false;
}

/* Virtual directories belong under inetpub, Exchange's folders or the
 * places IIS itself uses; anything else (ProgramData above all) is where
 * ProxyShell actors pointed theirs. */
static bool outside_expected(const char *physical)
{
	char p[1024];

	norm_path(physical, p, sizeof(p));
	return !(under(p, "c:/inetpub/") || strcmp(p, "c:/inetpub") == 0 ||
	         under(p, "c:/program files/microsoft/exchange server/") ||
	         under(p, "c:/windows/system32/inetsrv/") || under(p, "c:/windows/microsoft.net/"));
}

static int add_module(struct exs_iis_config *c, xmlNode *n, const char *const *known,
                      size_t n_known)
{
	struct exs_iis_module *m;

	if (grow((void **)&c->modules, c->n_modules, sizeof(*c->modules)))
		return -1;
	m = &c->modules[c->n_modules++];
	memset(m, 0, sizeof(*m));
	m->name = attr(n, "name");
	m->image = attr(n, "image");
	m->odd_path = m->image && !trusted_module_path(m->image);
	/* Exchange's own modules live in its folders whatever their names */
	m->known = !m->odd_path && (known_name(m->name, known, n_known) || exchange_path(m->image));
	return 0;
}

/* A managed module IIS loads into every request of its scope: known when its
 * assembly carries one of Microsoft's public key tokens, or when its type is
 * an unqualified System.* type (IIS's own list names them so).  Anything
 * else loads code from a bin folder or an unsigned assembly: how managed
 * backdoor modules are installed. */
static bool managed_known(const char *type)
{
	static const char *const tokens[] = {"b03f5f7f11d50a3a", "b77a5c561934e089",
	                                     "31bf3856ad364e35"};
	const char *comma, *tok;

	if (!type)
		return false;
	comma = strchr(type, ',');
	if (!comma)
		return strncmp(type, "System.", 7) == 0;
	tok = strcasestr(comma, "publickeytoken=");
	for (size_t i = 0; tok && i < sizeof(tokens) / sizeof(tokens[0]); i++)
		if (strncasecmp(tok + 15, tokens[i], 16) == 0 &&
		    !(tok[31] >= '0' && tok[31] <= '9') &&
		    !((tok[31] | 32) >= 'a' && (tok[31] | 32) <= 'z'))
			return true;
	return false;
}

static int add_managed(struct exs_iis_config *c, xmlNode *n, const char *location)
{
	struct exs_iis_managed *m;
	char *type = attr(n, "type");

	if (!type)
		return 0; /* a native module enabled here: <globalModules> lists it */
	if (grow((void **)&c->managed, c->n_managed, sizeof(*c->managed))) {
		free(type);
		return -1;
	}
	m = &c->managed[c->n_managed++];
	memset(m, 0, sizeof(*m));
	m->name = attr(n, "name");
	m->type = type;
	m->location = location ? strdup(location) : NULL;
	m->known = managed_known(type);
	return 0;
}

static int add_vdir(struct exs_iis_config *c, const char *site, const char *app, xmlNode *n)
{
	struct exs_iis_vdir *v;
	char *path = attr(n, "path");
	size_t len;

	if (grow((void **)&c->vdirs, c->n_vdirs, sizeof(*c->vdirs))) {
		free(path);
		return -1;
	}
	v = &c->vdirs[c->n_vdirs++];
	memset(v, 0, sizeof(*v));
	v->site = strdup(site ? site : "");
	/* the application's path joined with the directory's ("/owa" + "/") */
	len = strlen(app ? app : "") + strlen(path ? path : "") + 2;
	v->path = malloc(len);
	if (v->path) {
		const char *a = app ? app : "", *p = path ? path : "";

		if (strcmp(p, "/") == 0)
			p = "";
		snprintf(v->path, len, "%s%s", strcmp(a, "/") == 0 && *p ? "" : a, p);
	}
	free(path);
	v->physical_path = attr(n, "physicalPath");
	v->outside = v->physical_path && outside_expected(v->physical_path);
	return 0;
}

static int add_ep(struct exs_iis_config *c, const char *location, xmlNode *n)
{
	struct exs_iis_ep *e;

	if (grow((void **)&c->ep, c->n_ep, sizeof(*c->ep)))
		return -1;
	e = &c->ep[c->n_ep++];
	e->location = strdup(location ? location : "");
	e->token_checking = attr(n, "tokenChecking");
	if (!e->token_checking)
		e->token_checking = strdup("None");
	return 0;
}

static bool is_true(const char *v, bool dflt)
{
	return v ? strcasecmp(v, "false") != 0 : dflt;
}

/* The first child element of n called name, or NULL. */
static xmlNode *child(xmlNode *n, const char *name)
{
	for (xmlNode *k = n->children; k; k = k->next)
		if (named(k, name))
			return k;
	return NULL;
}

/* A location is covered by a rule set at `at` when `at` is it or one of its
 * parents ("" is the whole server). */
static bool covers(const char *at, const char *location)
{
	size_t k = strlen(at);

	return strncasecmp(location, at, k) == 0 && (!location[k] || location[k] == '/' || !k);
}

/* Appends to acc (lower case) the attribute's value; false when it negates. */
static bool take_pattern(xmlNode *n, const char *name, char *acc, size_t cap)
{
	char *v = attr(n, name), *neg = attr(n, "negate");
	bool ok = !is_true(neg, false);
	size_t o = strlen(acc);

	for (const char *q = v; q && *q && o + 2 < cap; q++)
		acc[o++] = (char)(*q >= 'A' && *q <= 'Z' ? *q + 32 : *q);
	if (o + 1 < cap)
		acc[o++] = ' ';
	acc[o] = '\0';
	free(v);
	free(neg);
	return ok;
}

/* ProxyNotShell: an inbound rule whose URL and condition patterns name both
 * autodiscover and powershell and whose action refuses the request. */
static bool blocks_autodiscover_powershell(xmlNode *rule)
{
	xmlNode *m = child(rule, "match"), *conds = child(rule, "conditions");
	xmlNode *act = child(rule, "action");
	char pat[4096] = "", *type, *status;
	bool ok = true, refuses;

	if (m)
		ok = take_pattern(m, "url", pat, sizeof(pat));
	for (xmlNode *k = conds ? conds->children : NULL; k && ok; k = k->next)
		if (named(k, "add"))
			ok = take_pattern(k, "pattern", pat, sizeof(pat));
	if (!ok || !act || !strstr(pat, "autodiscover") || !strstr(pat, "powershell"))
		return false;
	type = attr(act, "type");
	status = attr(act, "statusCode");
	refuses = type &&
	          (strcasecmp(type, "AbortRequest") == 0 ||
	           (strcasecmp(type, "CustomResponse") == 0 && status && atoi(status) >= 400));
	free(type);
	free(status);
	return refuses;
}

/* CVE-2026-42897: an outbound rule that writes a Content-Security-Policy
 * response header with a value. */
static bool sets_csp(xmlNode *rule)
{
	xmlNode *m = child(rule, "match"), *act = child(rule, "action");
	char *var = m ? attr(m, "serverVariable") : NULL, *neg = m ? attr(m, "negate") : NULL;
	char *type = act ? attr(act, "type") : NULL, *value = act ? attr(act, "value") : NULL;
	bool ok = var && strcasecmp(var, "RESPONSE_Content-Security-Policy") == 0 &&
	          !is_true(neg, false) && (!type || strcasecmp(type, "Rewrite") == 0) && value &&
	          value[0];

	free(var);
	free(neg);
	free(type);
	free(value);
	return ok;
}

static int add_mitigation(struct exs_iis_config *c, xmlNode *n, const char *location)
{
	bool outbound = named(n->parent, "outboundRules");
	const char *cve = NULL, *loc = location ? location : "";
	struct exs_iis_mitigation *m;
	char *enabled;

	if (!outbound && covers(loc, "Default Web Site/Autodiscover") &&
	    blocks_autodiscover_powershell(n))
		cve = "CVE-2022-41040";
	else if (outbound && covers(loc, "Default Web Site/owa") && sets_csp(n))
		cve = "CVE-2026-42897";
	if (!cve)
		return 0;
	if (grow((void **)&c->mitigations, c->n_mitigations, sizeof(*c->mitigations)))
		return -1;
	m = &c->mitigations[c->n_mitigations++];
	memset(m, 0, sizeof(*m));
	m->cve = cve;
	m->rule = attr(n, "name");
	m->location = strdup(loc);
	enabled = attr(n, "enabled");
	m->enabled = is_true(enabled, true);
	free(enabled);
	return 0;
}

static int add_rule(struct exs_iis_config *c, xmlNode *n)
{
	char *name = attr(n, "name");

	if (!name)
		return 0;
	if (grow((void **)&c->rewrite_rules, c->n_rewrite_rules, sizeof(char *))) {
		free(name);
		return -1;
	}
	c->rewrite_rules[c->n_rewrite_rules++] = name;
	return 0;
}

struct walk_ctx {
	struct exs_iis_config *c;
	const char *const *known;
	size_t n_known;
	bool web_only; /* a web.config: only its mitigations are kept */
	int rc;
};

/* A <location path> below the enclosing one (a web.config's own <location>
 * elements are relative to where the file sits; applicationHost.config's
 * are at the top). */
static char *join_location(const char *base, xmlNode *n)
{
	char *p = attr(n, "path"), *out;
	size_t len;

	if (!base || !base[0] || !p)
		return p;
	if (!p[0]) {
		free(p);
		return strdup(base);
	}
	len = strlen(base) + strlen(p) + 2;
	out = malloc(len);
	if (out)
		snprintf(out, len, "%s/%s", base, p);
	free(p);
	return out;
}

/* Everything below one node; location is the enclosing <location path>,
 * site the enclosing <site name>, app the enclosing <application path>. */
static void walk_tree(struct walk_ctx *w, xmlNode *n, const char *location, const char *site,
                      const char *app, int depth)
{
	if (depth > 64)
		return; /* no real configuration nests this deep */
	for (; n && w->rc == 0; n = n->next) {
		char *loc = NULL, *s = NULL, *a = NULL;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (named(n, "location"))
			loc = join_location(location, n);
		else if (named(n, "site"))
			s = attr(n, "name");
		else if (named(n, "application"))
			a = attr(n, "path");
		if (named(n, "rule") && n->parent &&
		    (named(n->parent, "rules") || named(n->parent, "globalRules") ||
		     named(n->parent, "outboundRules"))) {
			if (!w->web_only)
				w->rc = add_rule(w->c, n);
			if (w->rc == 0)
				w->rc = add_mitigation(w->c, n, location);
		} else if (named(n, "add") && n->parent && named(n->parent, "modules") &&
		           n->parent->parent && named(n->parent->parent, "system.webServer")) {
			w->rc = add_managed(w->c, n, w->web_only ? location : NULL);
		} else if (w->web_only) {
			/* native modules, sites and authentication belong to applicationHost.config
			 */
		} else if (named(n, "add") && n->parent && named(n->parent, "globalModules")) {
			w->rc = add_module(w->c, n, w->known, w->n_known);
		} else if (named(n, "virtualDirectory")) {
			w->rc = add_vdir(w->c, site, app, n);
		} else if (named(n, "extendedProtection")) {
			w->rc = add_ep(w->c, location, n);
		}
		walk_tree(w, n->children, loc ? loc : location, s ? s : site, a ? a : app,
		          depth + 1);
		free(loc);
		free(s);
		free(a);
	}
}

/* Reads one configuration file (applicationHost.config or a web.config, by
 * name) into w's configuration; location is that of a web.config ("" for the
 * site) or NULL. */
static int parse_file(struct walk_ctx *w, const unsigned char *p, size_t n, const char *name,
                      const char *location, struct exs_error *err)
{
	xmlDoc *doc = NULL;
	xmlNode *root;
	int rc = -1;

	xmlInitParser();
	if (n > INT32_MAX) {
		exs_error_set(err, "too large for an IIS configuration");
		goto out;
	}
	doc = xmlReadMemory((const char *)p, (int)n, name, NULL,
	                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc) {
		exs_error_set(err, "not well-formed XML");
		goto out;
	}
	root = xmlDocGetRootElement(doc);
	if (!root || !named(root, "configuration")) {
		exs_error_set(err, "no <configuration> element");
		goto out;
	}
	walk_tree(w, root->children, location, NULL, NULL, 0);
	if (w->rc) {
		exs_error_set(err, "out of memory, or more than %d entries of one kind", MAX_ITEMS);
		goto out;
	}
	rc = 0;
out:
	if (doc)
		xmlFreeDoc(doc);
	return rc;
}

int exs_iis_config_parse(const unsigned char *p, size_t n, const char *const *known, size_t n_known,
                         struct exs_iis_config *out, struct exs_error *err)
{
	struct walk_ctx w = {.c = out, .known = known, .n_known = n_known};

	memset(out, 0, sizeof(*out));
	if (parse_file(&w, p, n, "applicationHost.config", NULL, err) == 0)
		return 0;
	exs_iis_config_release(out);
	return -1;
}

int exs_iis_config_add_web(struct exs_iis_config *c, const unsigned char *p, size_t n,
                           const char *location, struct exs_error *err)
{
	struct walk_ctx w = {.c = c, .web_only = true};

	return parse_file(&w, p, n, "web.config", location ? location : "", err);
}

void exs_iis_config_release(struct exs_iis_config *c)
{
	for (size_t i = 0; i < c->n_modules; i++) {
		free(c->modules[i].name);
		free(c->modules[i].image);
		free(c->modules[i].file);
		free(c->modules[i].sha256);
		free(c->modules[i].version);
		free(c->modules[i].why);
	}
	for (size_t i = 0; i < c->n_managed; i++) {
		free(c->managed[i].name);
		free(c->managed[i].type);
		free(c->managed[i].location);
	}
	free(c->managed);
	for (size_t i = 0; i < c->n_vdirs; i++) {
		free(c->vdirs[i].site);
		free(c->vdirs[i].path);
		free(c->vdirs[i].physical_path);
	}
	for (size_t i = 0; i < c->n_ep; i++) {
		free(c->ep[i].location);
		free(c->ep[i].token_checking);
	}
	for (size_t i = 0; i < c->n_rewrite_rules; i++)
		free(c->rewrite_rules[i]);
	for (size_t i = 0; i < c->n_mitigations; i++) {
		free(c->mitigations[i].rule);
		free(c->mitigations[i].location);
		free(c->mitigations[i].file);
	}
	free(c->mitigations);
	free(c->modules);
	free(c->vdirs);
	free(c->ep);
	free(c->rewrite_rules);
	memset(c, 0, sizeof(*c));
}

const char *exs_iis_config_ep(const struct exs_iis_config *c, const char *location)
{
	const char *best = NULL;
	size_t best_len = 0;

	/* the longest <location> path that is the location or a parent of it */
	for (size_t i = 0; i < c->n_ep; i++) {
		const char *l = c->ep[i].location;
		size_t k = strlen(l);

		if (strncasecmp(location, l, k) != 0 || (location[k] && location[k] != '/'))
			continue;
		if (!best || k >= best_len) {
			best = c->ep[i].token_checking;
			best_len = k;
		}
	}
	return best;
}
