/* Finding the Exchange layout under a root, case-insensitively, and the scan
 * policy that depends on paths (web extensions, location findings). */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "exscan/buf.h"
#include "exscan/image.h"
#include "exscan/server.h"
#include "exscan/walk.h"
#include "walk_internal.h"

/* openat() without changing access times where the kernel lets us. */
static int open_dir_quietly(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOATIME);

	if (fd < 0 && errno == EPERM)
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd;
}

/* The entry of directory dirfd whose name equals want case-insensitively and
 * that is a directory (dir) or a regular file (!dir), not a link.  Returns a
 * malloc'd name or NULL. */
static char *find_entry_ci(int dirfd, const char *want, bool dir)
{
	int fd = open_dir_quietly(dirfd, ".");
	DIR *d;
	struct dirent *de;
	char *found = NULL;

	if (fd < 0)
		return NULL;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return NULL;
	}
	while ((de = readdir(d))) {
		struct stat st;

		if (strcasecmp(de->d_name, want) != 0)
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    !(dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode)))
			continue;
		found = strdup(de->d_name);
		break;
	}
	closedir(d);
	return found;
}

/* Resolves a '/'-separated path below rootfd case-insensitively.  Returns the
 * path as it is spelt on disk (malloc'd) or NULL. */
char *exs_walk_resolve_ci(int rootfd, const char *path)
{
	struct exs_buf out;
	char *copy = strdup(path), *save = NULL, *comp;
	int cur = dup(rootfd);
	char *res = NULL;

	exs_buf_init(&out, 1 << 16);
	if (!copy || cur < 0)
		goto out;
	for (comp = strtok_r(copy, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		char *name = find_entry_ci(cur, comp, true);
		int next;

		if (!name)
			goto out;
		next = open_dir_quietly(cur, name);
		if (next < 0 || (out.len && exs_buf_putc(&out, '/')) || exs_buf_puts(&out, name)) {
			free(name);
			if (next >= 0)
				close(next);
			goto out;
		}
		free(name);
		close(cur);
		cur = next;
	}
	res = exs_buf_steal(&out);
	if (!res)
		res = strdup("");
out:
	if (cur >= 0)
		close(cur);
	free(copy);
	exs_buf_release(&out);
	return res;
}

char *exs_walk_src_resolve(const struct exs_walk_src *src, const char *path)
{
	return src->ntfs ? exs_ntfs_resolve_ci(src->ntfs, path)
	                 : exs_walk_resolve_ci(src->rootfd, path);
}

static char *join(const char *a, const char *b)
{
	struct exs_buf o;

	exs_buf_init(&o, 1 << 16);
	if (a && *a && (exs_buf_puts(&o, a) || exs_buf_putc(&o, '/')))
		goto fail;
	if (exs_buf_puts(&o, b))
		goto fail;
	return exs_buf_steal(&o);
fail:
	exs_buf_release(&o);
	return NULL;
}

static char *resolve_under(const struct exs_walk_src *src, const char *base, const char *path)
{
	char *full = join(base, path), *r;

	if (!full)
		return NULL;
	r = exs_walk_src_resolve(src, full);
	free(full);
	return r;
}

#define MAX_SETUP_EXE (64u << 20)
#define MAX_IIS_CONFIG (16u << 20)
#define MAX_HIVE (1u << 30) /* SOFTWARE hives of Exchange servers: some hundred MB */

/* the known native IIS modules (rules/iis-modules.txt, embedded) */
extern const char exs_iis_modules[];

/* The names in the embedded list, one per line (static, built once per run:
 * layout detection happens before any worker thread starts). */
static const char **known_names;
static size_t n_known_names;
static pthread_once_t known_once = PTHREAD_ONCE_INIT;

static void load_known_modules(void)
{
	const char **names = NULL;
	size_t n = 0;
	char *copy = strdup(exs_iis_modules);

	if (copy) {
		size_t cap = 0;

		for (char *save = NULL, *line = strtok_r(copy, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			const char **p;

			while (*line == ' ' || *line == '\t')
				line++;
			line[strcspn(line, " \t\r#")] = '\0';
			if (!*line)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				p = realloc(names, cap * sizeof(*p));
				if (!p)
					break;
				names = p;
			}
			names[n++] = line;
		}
	}
	known_names = names; /* kept for the life of the process, like the list itself */
	n_known_names = n;
}

static size_t known_modules(const char ***out)
{
	pthread_once(&known_once, load_known_modules);
	*out = known_names;
	return n_known_names;
}

/* Reads a whole regular file below rootfd (dir resolved case-insensitively,
 * then name); returns a malloc'd buffer or NULL with *why set. */
static unsigned char *read_small(const struct exs_walk_src *src, const char *dir, const char *name,
                                 size_t max, size_t *len, char **relpath, const char **why)
{
	char *d = exs_walk_src_resolve(src, dir), *fname = NULL;
	int rootfd = src->rootfd;
	int dfd = -1, fd = -1;
	unsigned char *buf = NULL;
	struct stat st;
	size_t got = 0;

	*why = NULL;
	*relpath = NULL;
	if (!d)
		goto out;
	if (src->ntfs) {
		buf = exs_ntfs_read_small(src->ntfs, d, name, max, len, relpath, why);
		goto out;
	}
	dfd = d[0] ? open_dir_quietly(rootfd, d) : dup(rootfd);
	if (dfd < 0 || !(fname = find_entry_ci(dfd, name, false)))
		goto out;
	*relpath = join(d, fname);
	fd = openat(dfd, fname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = openat(dfd, fname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		*why = "cannot be read";
		goto out;
	}
	if (st.st_size <= 0 || (uint64_t)st.st_size > max) {
		*why = "is empty or too large";
		goto out;
	}
	buf = malloc((size_t)st.st_size);
	if (!buf) {
		*why = "out of memory";
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	*len = got;
out:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	free(fname);
	free(d);
	return buf;
}

/* Names the file of the mitigations read since `from`. */
static void mitigations_file(struct exs_iis_config *c, size_t from, const char *file)
{
	for (size_t i = from; i < c->n_mitigations; i++)
		if (!c->mitigations[i].file && file)
			c->mitigations[i].file = strdup(file);
}

/* Microsoft's emergency URL Rewrite rules may sit in the web.config of the
 * Default Web Site or of its Exchange applications rather than in
 * applicationHost.config: their mitigations are read from there too (at
 * the places Exchange setup puts them). */
static void read_web_configs(const struct exs_walk_src *src, struct exs_walk_layout *l)
{
	static const struct {
		const char *dir, *location;
		bool exchange;
	} places[] = {
	        {"inetpub/wwwroot", "Default Web Site", false},
	        {"FrontEnd/HttpProxy/owa", "Default Web Site/owa", true},
	        {"FrontEnd/HttpProxy/autodiscover", "Default Web Site/Autodiscover", true},
	};

	for (size_t i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
		char *dir =
		        places[i].exchange
		                ? (l->exchange_dir ? join(l->exchange_dir, places[i].dir) : NULL)
		                : strdup(places[i].dir);
		char *rel = NULL;
		const char *why = NULL;
		size_t len = 0, from = l->iis->n_mitigations;
		unsigned char *buf =
		        dir ? read_small(src, dir, "web.config", MAX_IIS_CONFIG, &len, &rel, &why)
		            : NULL;
		struct exs_error err = {{0}};

		if (buf && exs_iis_config_add_web(l->iis, buf, len, places[i].location, &err) == 0)
			mitigations_file(l->iis, from, rel);
		else if ((buf || why) && rel && !l->web_config_error) {
			l->web_config_file = rel;
			rel = NULL;
			l->web_config_error = strdup(buf ? err.msg : why);
		}
		free(buf);
		free(rel);
		free(dir);
	}
}

/* A module's DLL path as IIS has it ("%windir%\\System32\\inetsrv\\x.dll",
 * "C:\\ProgramData\\x.dll") as a path below the root, or NULL. */
static char *module_relpath(const char *image, const char *exchange_dir)
{
	static const struct {
		const char *var, *to;
	} vars[] = {
	        {"%windir%", "Windows"},
	        {"%systemroot%", "Windows"},
	        {"%programfiles%", "Program Files"},
	        {"%programdata%", "ProgramData"},
	        {"%systemdrive%", ""},
	};
	struct exs_buf b;
	const char *p = image;
	char *out = NULL;

	exs_buf_init(&b, 4096);
	if (strncasecmp(p, "%exchangeinstallpath%", 21) == 0) {
		if (!exchange_dir)
			goto out;
		exs_buf_puts(&b, exchange_dir);
		exs_buf_putc(&b, '/');
		p += 21;
	} else {
		for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
			size_t n = strlen(vars[i].var);

			if (strncasecmp(p, vars[i].var, n) == 0) {
				exs_buf_puts(&b, vars[i].to);
				p += n;
				break;
			}
		}
		if (p == image && ((p[0] | 32) >= 'a' && (p[0] | 32) <= 'z') && p[1] == ':')
			p += 2; /* the drive: the root is the system drive */
	}
	if (p == image && p[0] != '\\' && p[0] != '/')
		goto out; /* a bare name or another variable: IIS's search path, unknown here */
	for (; *p; p++)
		if (exs_buf_putc(&b, *p == '\\' ? '/' : *p))
			goto out;
	out = strdup(exs_buf_cstr(&b));
out:
	exs_buf_release(&b);
	return out;
}

/* The DLL of each module nobody ships: where it is under the root, its
 * SHA-256 and its version resource, for the module's finding (its bytes go
 * through the rules with the rest of the tree when the policy reaches it). */
static void read_module_dlls(const struct exs_walk_src *src, struct exs_walk_layout *l)
{
	for (size_t i = 0; l->iis && i < l->iis->n_modules; i++) {
		struct exs_iis_module *m = &l->iis->modules[i];
		char *rel, *slash;
		unsigned char *buf = NULL, md[32];
		unsigned int mdlen = 0;
		size_t len = 0;
		const char *why = NULL;
		struct exs_pe_version ver;
		struct exs_error err = {{0}};

		if (m->known || !m->image)
			continue;
		rel = module_relpath(m->image, l->exchange_dir);
		slash = rel ? strrchr(rel, '/') : NULL;
		if (slash) {
			*slash = '\0';
			buf = read_small(src, rel, slash + 1, MAX_SETUP_EXE, &len, &m->file, &why);
		}
		if (!buf) {
			m->why = strdup(!rel  ? "its path cannot be placed under the root"
			                : why ? why
			                      : "not found under the root");
			free(rel);
			continue;
		}
		if (EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) == 1 && mdlen == 32) {
			m->sha256 = malloc(65);
			for (unsigned k = 0; m->sha256 && k < 32; k++)
				snprintf(m->sha256 + 2 * k, 3, "%02x", md[k]);
		}
		if (exs_pe_version_read(buf, len, &ver, &err) == 0)
			m->version = strdup(ver.text);
		free(buf);
		free(rel);
	}
}

/* IIS's configuration: modules, virtual directories, Extended Protection. */
static void read_iis_config(const struct exs_walk_src *src, struct exs_walk_layout *l)
{
	const char **known;
	size_t n_known = known_modules(&known), len = 0;
	const char *why;
	unsigned char *buf =
	        read_small(src, "Windows/System32/inetsrv/config", "applicationHost.config",
	                   MAX_IIS_CONFIG, &len, &l->iis_file, &why);
	struct exs_error err = {{0}};

	if (!buf) {
		if (why)
			l->iis_error = strdup(why);
		return;
	}
	l->iis = calloc(1, sizeof(*l->iis));
	if (l->iis && exs_iis_config_parse(buf, len, known, n_known, l->iis, &err) != 0) {
		free(l->iis);
		l->iis = NULL;
		l->iis_error = strdup(err.msg);
	}
	free(buf);
	if (!l->iis)
		return;
	mitigations_file(l->iis, 0, l->iis_file);
	read_web_configs(src, l);
	read_module_dlls(src, l);
}

/* No ExSetup.exe: the SOFTWARE hive's Exchange setup keys give the CU
 * (major.minor.build; the update on top of it is not recorded there). */
static void read_registry_build(const struct exs_walk_src *src, struct exs_walk_layout *l)
{
	size_t len = 0;
	const char *why = NULL;
	char *file = NULL;
	unsigned char *buf =
	        read_small(src, "Windows/System32/config", "SOFTWARE", MAX_HIVE, &len, &file, &why);
	struct exs_registry_build rb;
	struct exs_error err = {{0}};
	char cu[24];

	if (!buf && !why) {
		free(file);
		return; /* no hive either: the build stays unknown, and says so nowhere */
	}
	free(l->build_file);
	l->build_file = file;
	if (buf && exs_registry_exchange_build(buf, len, &rb, &err) == 0) {
		snprintf(cu, sizeof(cu), "%u.%u.%u", rb.part[0], rb.part[1], rb.part[2]);
		l->build = strdup(cu);
		l->build_precision = "cu";
	} else {
		l->build_error = strdup(buf ? err.msg : why);
	}
	free(buf);
}

/* The exact build from the version resource of <exchange>/Bin/ExSetup.exe:
 * what the disk says, with no network.  A file that cannot be read or
 * parsed leaves a one-line reason in build_error. */
static void read_disk_build(const struct exs_walk_src *src, struct exs_walk_layout *l)
{
	char *bin = join(l->exchange_dir, "Bin");
	size_t len = 0;
	const char *why = NULL;
	unsigned char *buf = NULL;
	struct exs_pe_version ver;
	struct exs_error err = {{0}};

	if (bin)
		buf = read_small(src, bin, "ExSetup.exe", MAX_SETUP_EXE, &len, &l->build_file,
		                 &why);
	l->build_precision = "exact";
	if (buf && exs_pe_version_read(buf, len, &ver, &err) == 0)
		l->build = strdup(ver.text);
	else if (buf)
		l->build_error = strdup(err.msg);
	else if (why)
		l->build_error = strdup(why);
	else
		read_registry_build(src, l);
	free(buf);
	free(bin);
}

int exs_walk_layout_detect(int rootfd, const char *exchange_dir, struct exs_walk_layout *l,
                           struct exs_error *err)
{
	struct exs_walk_src src = {.rootfd = rootfd};

	return exs_walk_layout_detect_src(&src, exchange_dir, l, err);
}

int exs_walk_layout_detect_src(const struct exs_walk_src *src, const char *exchange_dir,
                               struct exs_walk_layout *l, struct exs_error *err)
{
	static const char *const temp_dirs[] = {
	        "Windows/Microsoft.NET/Framework64/v4.0.30319/Temporary ASP.NET Files",
	        "Windows/Microsoft.NET/Framework/v4.0.30319/Temporary ASP.NET Files",
	        "Windows/Microsoft.NET/Framework64/v2.0.50727/Temporary ASP.NET Files",
	};

	memset(l, 0, sizeof(*l));
	if (exchange_dir) {
		l->exchange_dir = exs_walk_src_resolve(src, exchange_dir);
		if (!l->exchange_dir)
			return exs_error_set(
			        err,
			        "--exchange-dir '%s' is not a directory under the root; "
			        "give it relative to the root",
			        exchange_dir);
	} else {
		static const char *const vers[] = {"V15", "V14"};

		for (size_t i = 0; i < 2 && !l->exchange_dir; i++) {
			char *p = join("Program Files/Microsoft/Exchange Server", vers[i]);

			if (p)
				l->exchange_dir = exs_walk_src_resolve(src, p);
			free(p);
		}
		/* the root may be the V15 directory itself */
		if (!l->exchange_dir) {
			char *fe = exs_walk_src_resolve(src, "FrontEnd/HttpProxy");
			char *ca = exs_walk_src_resolve(src, "ClientAccess");

			if (fe || ca)
				l->exchange_dir = strdup("");
			free(fe);
			free(ca);
		}
	}
	if (l->exchange_dir) {
		const char *base = strrchr(l->exchange_dir, '/');

		base = base ? base + 1 : l->exchange_dir;
		l->exchange = true;
		if (strcasecmp(base, "V14") == 0 || strcasecmp(base, "V15") == 0) {
			l->version = strdup(base);
			if (l->version)
				l->version[0] = 'V';
		}
		l->logging = resolve_under(src, l->exchange_dir, "Logging");
		read_disk_build(src, l);
	}
	l->inetpub = exs_walk_src_resolve(src, "inetpub");
	for (size_t i = 0; i < sizeof(temp_dirs) / sizeof(temp_dirs[0]) && !l->temp_aspnet; i++)
		l->temp_aspnet = exs_walk_src_resolve(src, temp_dirs[i]);
	l->programdata = exs_walk_src_resolve(src, "ProgramData");
	read_iis_config(src, l);
	l->web_root = !l->exchange && !l->inetpub && !l->temp_aspnet;
	return 0;
}

void exs_walk_layout_release(struct exs_walk_layout *l)
{
	free(l->version);
	free(l->exchange_dir);
	free(l->inetpub);
	free(l->temp_aspnet);
	free(l->programdata);
	free(l->logging);
	free(l->build);
	free(l->build_file);
	free(l->build_error);
	if (l->iis)
		exs_iis_config_release(l->iis);
	free(l->iis);
	free(l->iis_file);
	free(l->iis_error);
	free(l->web_config_file);
	free(l->web_config_error);
	memset(l, 0, sizeof(*l));
}

static const char *extension_of(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot && dot != name ? dot + 1 : "";
}

bool exs_walk_layout_module_dll(const struct exs_walk_layout *l, const char *relpath)
{
	for (size_t i = 0; l->iis && i < l->iis->n_modules; i++)
		if (l->iis->modules[i].file && strcmp(l->iis->modules[i].file, relpath) == 0)
			return true;
	return false;
}

bool exs_walk_is_web_extension(const char *name)
{
	static const char *const ext[] = {"aspx",   "ashx", "asmx", "ascx", "asax", "config",
	                                  "js",     "css",  "htm",  "html", "asp",  "master",
	                                  "cshtml", "svc",  "soap", "rem",  "cs",   "vb"};
	const char *e = extension_of(name);

	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
		if (strcasecmp(e, ext[i]) == 0)
			return true;
	return false;
}

static bool is_script_page(const char *name)
{
	static const char *const ext[] = {"aspx",   "ashx", "asmx", "ascx", "asax",  "asp",
	                                  "cshtml", "svc",  "soap", "rem",  "master"};
	const char *e = extension_of(name);

	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++)
		if (strcasecmp(e, ext[i]) == 0)
			return true;
	return false;
}

/* Position just after the component sequence `dirs` ("/owa/auth/") in
 * "/"+relpath, case-insensitively, or NULL. */
static const char *after_dirs(const char *relpath, const char *dirs)
{
	size_t n = strlen(dirs);

	/* dirs starts with '/', so also match at the very start of relpath */
	if (strncasecmp(relpath, dirs + 1, n - 1) == 0)
		return relpath + n - 1;
	for (const char *p = relpath; (p = strchr(p, '/')); p++)
		if (strncasecmp(p, dirs, n) == 0)
			return p + n;
	return NULL;
}

/* Whether the n bytes at comp name a folder in which OWA and ECP keep only
 * static assets: scripts, styles, images, fonts and the build-numbered folders
 * the browser caches ("15.1.2507.6", "15.1.2176", "14.3.123.4"). */
static bool is_static_asset_dir(const char *comp, size_t n)
{
	static const char *const names[] = {"scripts", "themes", "resources", "images",
	                                    "img",     "css",    "fonts"};
	size_t parts = 1, digits = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && strncasecmp(comp, names[i], n) == 0)
			return true;
	for (size_t i = 0; i < n; i++) {
		if (comp[i] >= '0' && comp[i] <= '9') {
			digits++;
			continue;
		}
		if (comp[i] != '.' || digits == 0)
			return false;
		digits = 0;
		parts++;
	}
	return digits > 0 && (parts == 3 || parts == 4);
}

/* Where Exchange's own web applications start in relpath (just after
 * "FrontEnd/HttpProxy/", "ClientAccess/", "owa/" or "ecp/", the earliest), or
 * NULL when the path is not in one. */
static const char *exchange_web_part(const char *relpath)
{
	static const char *const roots[] = {"/frontend/httpproxy/", "/clientaccess/", "/owa/",
	                                    "/ecp/"};
	const char *best = NULL;

	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		const char *p = after_dirs(relpath, roots[i]);

		if (p && (!best || p < best))
			best = p;
	}
	return best;
}

int exs_walk_location_score(const struct exs_walk_layout *l, const char *relpath, const char **why)
{
	/* what Exchange itself installs directly in owa/auth and ecp/auth */
	static const char *const owa_known[] = {
	        "errorfe.aspx",
	        "expiredpassword.aspx",
	        "frowny.aspx",
	        "logoff.aspx",
	        "logon.aspx",
	        "outlookcn.aspx",
	        "redirsuiteserviceproxy.aspx",
	        "signout.aspx",
	        "timeoutlogout.aspx",
	        "getidtoken.htm",
	};
	const char *name = strrchr(relpath, '/'), *rest;

	(void)l;
	name = name ? name + 1 : relpath;
	if (!is_script_page(name))
		return 0;
	if (after_dirs(relpath, "/aspnet_client/")) {
		*why = "script page in aspnet_client, which Exchange leaves empty (HAFNIUM drop "
		       "location)";
		return 70;
	}
	rest = after_dirs(relpath, "/owa/auth/");
	if (!rest)
		rest = after_dirs(relpath, "/ecp/auth/");
	if (rest) {
		if (!strchr(rest, '/'))
			for (size_t i = 0; i < sizeof(owa_known) / sizeof(owa_known[0]); i++)
				if (strcasecmp(rest, owa_known[i]) == 0)
					return 0;
		*why = "page in owa/auth or ecp/auth that Exchange does not install there";
		return 60;
	}
	/* OWA and ECP serve scripts, styles, images and fonts from these folders and
	 * never a page: one there was put there (web.config is not a page and is
	 * left to the rules) */
	for (const char *p = exchange_web_part(relpath), *slash; p && (slash = strchr(p, '/'));
	     p = slash + 1) {
		if (is_static_asset_dir(p, (size_t)(slash - p))) {
			*why = "page in a static-asset folder of OWA or ECP (scripts, themes, "
			       "resources, images, fonts or a build-numbered folder), where "
			       "Exchange installs no pages";
			return 60;
		}
	}
	return 0;
}

/* The Exchange virtual directories whose Extended Protection decides
 * CVE-2024-21410 (HealthChecker's list). */
static const char *const ep_vdirs[] = {"owa",  "ecp", "EWS",          "Microsoft-Server-ActiveSync",
                                       "mapi", "OAB", "Autodiscover", "PowerShell",
                                       "Rpc",  "API"};

bool exs_walk_iis_ep_vdir(const struct exs_iis_vdir *v)
{
	const char *p = v->path && v->path[0] == '/' ? v->path + 1 : v->path;

	if (!p || (strcasecmp(v->site, "Default Web Site") != 0 &&
	           strcasecmp(v->site, "Exchange Back End") != 0))
		return false;
	for (size_t i = 0; i < sizeof(ep_vdirs) / sizeof(ep_vdirs[0]); i++)
		if (strcasecmp(p, ep_vdirs[i]) == 0)
			return true;
	return false;
}

static struct exs_finding *config_finding(struct exs_findings *out, const char *path,
                                          const char *rule, int score)
{
	struct exs_finding f;

	memset(&f, 0, sizeof(f));
	f.kind = EXS_FINDING_ARTIFACT;
	f.path = strdup(path);
	f.rule = strdup(rule);
	f.family = strdup("IIS configuration");
	f.score = score;
	if (!f.path || !f.rule || exs_findings_push(out, &f))
		return NULL;
	return &out->items[out->n - 1];
}

static bool risky_place(const char *physical)
{
	static const char *const places[] = {"programdata", "windows\\temp", "windows/temp",
	                                     "\\users\\",   "/users/",       "$recycle.bin"};
	char low[1024];
	size_t i;

	for (i = 0; physical[i] && i + 1 < sizeof(low); i++)
		low[i] = (char)(physical[i] >= 'A' && physical[i] <= 'Z' ? physical[i] + 32
		                                                         : physical[i]);
	low[i] = '\0';
	for (i = 0; i < sizeof(places) / sizeof(places[0]); i++)
		if (strstr(low, places[i]))
			return true;
	return false;
}

static int error_finding(struct exs_findings *out, const char *path, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int error_finding(struct exs_findings *out, const char *path, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = exs_findings_push_errorv(out, path, fmt, ap);
	va_end(ap);
	return rc;
}

int exs_walk_layout_findings(const struct exs_walk_layout *l, struct exs_findings *out)
{
	const struct exs_iis_config *c = l->iis;

	/* a configuration that is there but unreadable: what it would say is unknown */
	if (!c && l->iis_file && l->iis_error)
		return error_finding(out, l->iis_file,
		                     "%s; IIS modules and Extended Protection were not checked",
		                     l->iis_error);
	if (!c || !l->iis_file)
		return 0;
	if (l->web_config_file && l->web_config_error &&
	    error_finding(out, l->web_config_file,
	                  "%s; its URL Rewrite mitigations were not checked", l->web_config_error))
		return -1;
	for (size_t i = 0; i < c->n_modules; i++) {
		const struct exs_iis_module *m = &c->modules[i];
		struct exs_finding *f;

		if (m->known)
			continue;
		f = config_finding(out, l->iis_file,
		                   m->odd_path ? "iis-module-outside-system" : "iis-unknown-module",
		                   m->odd_path ? 85 : 70);
		if (!f)
			return -1;
		if (asprintf(
		            &f->description,
		            "native IIS module '%s' (%s) %s: a backdoor module (Owowa, SessionManager) "
		            "loads into every worker process, OWA's included; check its publisher; "
		            "DLL %s%s%s%s%s%s",
		            m->name ? m->name : "?", m->image ? m->image : "no image",
		            m->odd_path
		                    ? "is loaded from outside System32/inetsrv and Exchange's folders"
		                    : "is not one Windows, IIS or Exchange ship",
		            m->file ? m->file : "", m->file ? "" : (m->why ? m->why : "not read"),
		            m->sha256 ? ", SHA-256 " : "", m->sha256 ? m->sha256 : "",
		            m->file ? ", version " : "",
		            m->file ? (m->version ? m->version : "none (no version resource)")
		                    : "") < 0)
			f->description = NULL;
	}
	for (size_t i = 0; i < c->n_managed; i++) {
		const struct exs_iis_managed *m = &c->managed[i];
		struct exs_finding *f;

		if (m->known)
			continue;
		f = config_finding(out, l->iis_file, "iis-unknown-managed-module", 70);
		if (!f)
			return -1;
		if (asprintf(
		            &f->description,
		            "managed IIS module '%s' (type %s) in %s%s is not signed by Microsoft: "
		            "a managed backdoor module sees every request of its scope; check the "
		            "assembly it loads",
		            m->name ? m->name : "?", m->type,
		            m->location ? "the web.config of " : "applicationHost.config",
		            m->location ? (m->location[0] ? m->location : "the site root") : "") <
		    0)
			f->description = NULL;
	}
	for (size_t i = 0; i < c->n_vdirs; i++) {
		const struct exs_iis_vdir *v = &c->vdirs[i];
		bool risky = v->physical_path && risky_place(v->physical_path);
		struct exs_finding *f;

		/* ProgramData is reported by the artifact check (artifact-vdir-programdata) */
		if (!v->outside ||
		    (v->physical_path && strcasestr(v->physical_path, "programdata")))
			continue;
		f = config_finding(out, l->iis_file, "iis-vdir-outside", risky ? 85 : 60);
		if (!f)
			return -1;
		if (asprintf(&f->description,
		             "virtual directory %s%s points at %s, outside inetpub and Exchange's "
		             "folders%s",
		             v->site, v->path ? v->path : "", v->physical_path,
		             risky ? " (ProxyShell actors pointed theirs into ProgramData)" : "") <
		    0)
			f->description = NULL;
	}
	return 0;
}
