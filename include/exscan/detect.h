/* src/detect: pure functions on one file's bytes, no I/O and no threads.
 *
 * The normalised view: the server-side code of a page (ASP.NET blocks,
 * <script runat=server>, handlers, code-behind, XSLT msxsl:script), as one
 * canonical text: comments removed, string concatenations joined, all case
 * folded to lower case, request indexers unified to `request[...]`, simple
 * encodings decoded (\uXXXX, Chr()/ChrW() runs, (char)N, base64 literals
 * that decode to code, which are appended as code of their own).  Every
 * byte of the view maps back to an offset in the original bytes.
 *
 * The capability model: where request data (any Request.* spelling, posted
 * files, WebForms control values) reaches a sink of a known class (process
 * start, script evaluation, assembly loading, file writes, ...), with a
 * score from the sink class and the page's shape.
 *
 * Ownership: exs_view_build() fills a caller-owned struct exs_view whose
 * text, map and control names it owns until exs_view_release().
 * exs_capability_scan() fills a caller-owned struct exs_capability whose
 * strings it owns until exs_capability_release().  Inputs are only read.
 */
#ifndef EXSCAN_DETECT_H
#define EXSCAN_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum exs_code_lang {
	EXS_LANG_CSHARP,
	EXS_LANG_VB,
	EXS_LANG_JSCRIPT,
};

struct exs_view {
	char *text; /* canonical code, NUL-terminated, lower case */
	size_t len;
	uint32_t *map;    /* map[i] = offset in the original bytes of text[i] */
	size_t n_blocks;  /* server-code blocks found (0: no server code) */
	bool page;        /* markup with code blocks (not a bare code file) */
	bool code_behind; /* a directive names CodeBehind, CodeFile, Src or Inherits */
	bool handler;     /* WebHandler or WebService directive */
	bool truncated;   /* the view stops before the code does (max_out reached) */
	/* what the normaliser undid: a measure of obfuscation */
	unsigned n_concat, n_unicode, n_chr, n_base64, n_comments;
	char **controls; /* ids of runat=server controls (their values are request data) */
	size_t n_controls;
};

/* Builds the view of n bytes (UTF-8, 8-bit or UTF-16LE).  At most max_out
 * bytes of view are made (0: 4 MiB).  Returns 0, or -1 when out of memory
 * (v is then empty and safe to release). */
int exs_view_build(struct exs_view *v, const unsigned char *p, size_t n, size_t max_out);
void exs_view_release(struct exs_view *v);
/* The original offset of view offset off (the end maps to the last byte). */
uint64_t exs_view_orig(const struct exs_view *v, size_t off);
/* 1-based line number of offset off in the original bytes (UTF-16LE aware). */
uint64_t exs_line_of(const unsigned char *p, size_t n, uint64_t off);

enum exs_sink_class {
	EXS_SINK_PROCESS,  /* process start, CreateProcess, WinExec */
	EXS_SINK_EVAL,     /* script evaluation and compilation */
	EXS_SINK_ASSEMBLY, /* assembly loading from bytes, reflection invocation */
	EXS_SINK_FILE_WRITE,
	EXS_SINK_FILE_READ, /* reads or sends back a request-chosen file */
	EXS_SINK_DIR_LIST,
	EXS_SINK_SOCKET, /* raw sockets, HTTP tunnelling, outbound requests */
	EXS_SINK_SQL,
	EXS_SINK_POWERSHELL,
	EXS_SINK_COM,      /* WScript.Shell, Shell.Application, MSScriptControl */
	EXS_SINK_REGISTRY, /* registry and directory services */
	EXS_SINK_MEMSHELL, /* handlers, modules, routes, virtual paths added at run time */
	EXS_SINK_NATIVE,   /* shellcode: VirtualAlloc, CreateThread, function pointers */
	EXS_SINK_COUNT,
};

/* One sink reached, the best evidence of its class. */
struct exs_capability_hit {
	enum exs_sink_class cls;
	int score;         /* 0-100 */
	bool flow;         /* request data reaches the sink (not only present) */
	uint64_t sink_off; /* original offsets */
	uint64_t source_off;
	bool has_source;
	char sink[48];   /* the sink's canonical spelling, e.g. "process.start(" */
	char source[48]; /* the source's, e.g. "request[" */
};

struct exs_capability {
	struct exs_capability_hit hits[EXS_SINK_COUNT]; /* best per class */
	size_t n_hits;
	int score; /* the page's score: best hit plus the page's shape */
	enum exs_sink_class top;
	char *summary; /* one line: classes reached and the shape, or NULL */
};

/* Pages scoring this or more are reported (warning level and up). */
#define EXS_CAPABILITY_REPORT 60

/* Scores the view.  Returns 0, or -1 when out of memory. */
int exs_capability_scan(const struct exs_view *v, struct exs_capability *out);
void exs_capability_release(struct exs_capability *c);
const char *exs_sink_class_name(enum exs_sink_class c);
/* A rule name for the class, e.g. "exs_cap_process". */
const char *exs_sink_class_rule(enum exs_sink_class c);

#endif
