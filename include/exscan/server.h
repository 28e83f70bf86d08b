/* src/server: what the disk says about the server, read from its files.
 *
 * The PE version reader: the VS_FIXEDFILEINFO of a Windows executable's
 * version resource (RT_VERSION), e.g. Exchange's Bin/ExSetup.exe, whose
 * file version is the exact Exchange build (15.1.2507.6).  A pure function
 * on a buffer: no I/O, bounds-checked everywhere, fuzzed.
 *
 * Ownership: the caller owns both the buffer and the result struct.
 */
#ifndef EXSCAN_SERVER_H
#define EXSCAN_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exscan/error.h"

struct exs_pe_version {
	uint16_t file[4];    /* file version: 15, 1, 2507, 6 */
	uint16_t product[4]; /* product version */
	char text[24];       /* the file version as "15.1.2507.6" */
};

/* Reads the version resource of the PE image in p[0, n).  Returns 0, or -1
 * with err saying what is missing or malformed (not a PE file, no resource
 * section, no version resource, a truncated or looping directory). */
int exs_pe_version_read(const unsigned char *p, size_t n, struct exs_pe_version *out,
                        struct exs_error *err);

/* Exchange's setup keys (MsiProductMajor, MsiProductMinor, MsiBuildMajor,
 * MsiBuildMinor under Microsoft\ExchangeServer\v15\Setup) in a SOFTWARE
 * registry hive held in p[0, n), read with libregf.  Setup writes them when a
 * cumulative update is installed; a security update is a patch on top that is
 * not known to change them, so they tell the CU, not the update. */
struct exs_registry_build {
	uint16_t part[4]; /* 15, 1, 2507, 6 */
	char text[24];    /* "15.1.2507.6" */
};

/* Returns 0, or -1 with err (not a hive, a damaged hive, no setup key, a
 * value missing or out of range). */
int exs_registry_exchange_build(const unsigned char *p, size_t n, struct exs_registry_build *out,
                                struct exs_error *err);

/* IIS configuration read from Windows/System32/inetsrv/config/applicationHost.config:
 * native modules, virtual directories, Extended Protection per location and
 * the URL Rewrite rules (Microsoft's emergency mitigations among them).
 * exs_iis_config_parse() fills a caller-owned struct that owns every string
 * and array in it until exs_iis_config_release(). */
struct exs_iis_module {
	char *name;
	char *image;   /* the DLL path as written (environment variables unexpanded) */
	bool known;    /* a module Windows, IIS or Exchange ship, where they ship it */
	bool odd_path; /* the DLL lies outside System32/inetsrv and Exchange's folders */
	/* filled by the walker for modules not known, from the DLL under the root */
	char *file;    /* the DLL's path relative to the root, or NULL (not there) */
	char *sha256;  /* its SHA-256 in hex, or NULL */
	char *version; /* its version resource ("10.0.17763.1"), or NULL */
	char *why;     /* why it could not be read, or NULL */
};

struct exs_iis_vdir {
	char *site;
	char *path;          /* "/owa", "/x" */
	char *physical_path; /* as written */
	bool outside;        /* outside inetpub, Exchange's folders and the IIS defaults */
};

/* Extended Protection (windowsAuthentication/extendedProtection tokenChecking)
 * of one <location>: "None", "Allow" or "Require". */
struct exs_iis_ep {
	char *location; /* "Default Web Site/owa" */
	char *token_checking;
};

/* One of Microsoft's emergency URL Rewrite mitigations, recognised by what
 * the rule does rather than by its name: an inbound rule that aborts or
 * refuses requests whose URL patterns name both autodiscover and powershell
 * (ProxyNotShell, CVE-2022-41040: EOMTv2's and EEMS M1.1's rule), or an
 * outbound rule that writes a Content-Security-Policy response header
 * (CVE-2026-42897: EEMS M2.1), where it covers the Default Web Site's
 * /Autodiscover or /owa. */
struct exs_iis_mitigation {
	const char *cve; /* static: "CVE-2022-41040" or "CVE-2026-42897" */
	char *rule;      /* the rule's name as written */
	char *location;  /* where it is set: "Default Web Site/owa"; "" for the server */
	char *file;      /* the file it was read from: filled in by the caller, or NULL */
	bool enabled;    /* enabled="false" keeps the rule but turns it off */
};

/* A managed module (<system.webServer><modules><add type=...>) of
 * applicationHost.config or of a web.config read for its location. */
struct exs_iis_managed {
	char *name;
	char *type;     /* "Namespace.Class, Assembly, Version=..., PublicKeyToken=..." */
	char *location; /* NULL: applicationHost.config; else the web.config's location */
	bool known;     /* an assembly signed by Microsoft, or a System.* type */
};

struct exs_iis_config {
	struct exs_iis_module *modules;
	size_t n_modules;
	struct exs_iis_managed *managed;
	size_t n_managed;
	struct exs_iis_vdir *vdirs;
	size_t n_vdirs;
	struct exs_iis_ep *ep;
	size_t n_ep;
	char **rewrite_rules; /* names of URL Rewrite rules, global and per location */
	size_t n_rewrite_rules;
	struct exs_iis_mitigation *mitigations; /* in the order read */
	size_t n_mitigations;
};

/* Parses applicationHost.config from p[0, n) with libxml2, without network or
 * entity expansion; known[] lists the module names Windows, IIS and Exchange
 * ship (rules/iis-modules.tsv).  Returns 0, or -1 with err (not XML, no
 * <configuration>). */
int exs_iis_config_parse(const unsigned char *p, size_t n, const char *const *known, size_t n_known,
                         struct exs_iis_config *out, struct exs_error *err);
void exs_iis_config_release(struct exs_iis_config *c);
/* Reads the URL Rewrite mitigations of a web.config (the Default Web Site's,
 * or an application's such as FrontEnd/HttpProxy/owa) into c, as rules set at
 * `location` ("Default Web Site", "Default Web Site/owa").  Nothing else of the
 * file is kept.  Returns 0, or -1 with err (as exs_iis_config_parse); c keeps
 * what it had either way. */
int exs_iis_config_add_web(struct exs_iis_config *c, const unsigned char *p, size_t n,
                           const char *location, struct exs_error *err);
/* Extended Protection of a location (the closest <location> that sets it),
 * "None" when IIS's default applies; NULL when the file names no such
 * location. */
const char *exs_iis_config_ep(const struct exs_iis_config *c, const char *location);

#endif
