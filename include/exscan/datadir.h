/* Where the installed data files (tables, later rules) were found.
 *
 * Ownership: the strings are malloc'ed, owned by the struct exs_config that
 * holds this struct and freed by exs_config_release().
 */
#ifndef EXSCAN_DATADIR_H
#define EXSCAN_DATADIR_H

struct exs_data_options {
	char *builds_path; /* datadir/exchange-builds.tsv when used by default */
	char *cves_path;   /* datadir/exchange-cves.tsv when used by default */
};

#endif
