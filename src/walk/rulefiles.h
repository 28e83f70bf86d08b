/* The YARA rule sources of one engine: built-in texts and --rules files,
 * directories searched recursively, includes resolved relative to the
 * including file, cycles refused, and a cache key over the content of every
 * file involved (not a public API).
 *
 * Ownership: a set owns every string it holds; texts handed to libyara stay
 * valid until exs_ruleset_release(). */
#ifndef EXSCAN_WALK_RULEFILES_H
#define EXSCAN_WALK_RULEFILES_H

#include <stdbool.h>
#include <stddef.h>

#include "walk_internal.h"

/* One file read from disk: a --rules file or a file it includes. */
struct exs_rulefile {
	char *real; /* canonical absolute path */
	char *raw;  /* content as on disk (hashed into the cache key) */
	size_t raw_len;
	char *text;       /* content with every include naming `real` of its target */
	size_t *includes; /* indexes of included files, in order */
	size_t n_includes;
	char *error;  /* why it cannot be used (unreadable include ...), or NULL */
	bool scanned; /* includes looked for */
};

/* One namespace given to the compiler. */
struct exs_rulesource {
	char *name;       /* path as given (or built-in name): messages and namespace */
	const char *text; /* what is compiled */
	char *owned;      /* text of a built-in copy, or NULL */
	size_t file;      /* index in files, or SIZE_MAX for a built-in text */
	bool skip;        /* left out (unusable include tree) or included by another */
	bool bad;         /* did not compile */
	char *why;        /* why it is left out ("file:line: message"), or NULL */
};

struct exs_ruleset {
	struct exs_rulefile *files;
	size_t n_files, cap_files;
	struct exs_rulesource *srcs;
	size_t n_srcs, cap_srcs;
	bool key_incomplete; /* the compiler read a file the key did not cover */
};

/* Reads a whole (small) file into a NUL-terminated malloc'd buffer. */
char *exs_walk_slurp(const char *path, size_t max, size_t *len, struct exs_error *err);

/* Adds a built-in (or installed) text under name; takes text. */
int exs_ruleset_add_text(struct exs_ruleset *s, const char *name, char *text);
/* Adds a --rules FILE or every .yar/.yara below DIR (sorted, recursively);
 * what cannot be used becomes a problem of e. */
void exs_ruleset_add_path(struct exs_ruleset *s, struct exs_walk_engine *e, const char *path);
/* Reads every include tree; leaves out (with a problem) a file whose tree has
 * an unreadable include or a cycle, and a file another one includes. */
void exs_ruleset_resolve(struct exs_ruleset *s, struct exs_walk_engine *e);
/* Whether a source to compile imports a YARA module. */
bool exs_ruleset_imports(const struct exs_ruleset *s);
/* Number of sources to compile (neither skipped nor bad). */
size_t exs_ruleset_usable(const struct exs_ruleset *s);
/* SHA-256 over the content of every file a usable source compiles. */
int exs_ruleset_key(const struct exs_ruleset *s, const char *salt, unsigned char md[32]);
/* The text of an included file for libyara's include callback: name is the
 * canonical path written by exs_ruleset_resolve (or, should the compiler find
 * an include the resolver did not, a name relative to from). */
const char *exs_ruleset_include(struct exs_ruleset *s, const char *name, const char *from);
void exs_ruleset_release(struct exs_ruleset *s);

#endif
