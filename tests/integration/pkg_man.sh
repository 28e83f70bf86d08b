#!/usr/bin/env bash
# The man pages the build produced (EXSCAN_MANDIR, installed to man1) against
# what --help says: every command has a page, every option of --help is in
# the page with the same text and no page documents an option --help lacks.
# Both sides are parsed from their rendered text, not from the C tables.
. "$(dirname "$0")/tap.sh"

MANDIR=${EXSCAN_MANDIR:?set by meson}

render() { # render PAGE: plain ASCII text, wide lines so nothing wraps
	if command -v groff >/dev/null; then
		groff -man -Tascii -P-cbou -rLL=400n -rcR=1 "$1" 2>/dev/null
	else
		mandoc -Tascii -Owidth=400 "$1" | col -b
	fi
}

if ! command -v groff >/dev/null && ! command -v mandoc >/dev/null; then
	tap_skip "man pages match --help" "neither groff nor mandoc is installed"
	tap_done
	exit
fi

# commands listed by exscan --help, one per line
run "$EXSCAN" --help
sed -n '/^commands:/,/^$/p' "$TMP/out" | awk 'NF && !/:$/ {print $1}' | grep -vx help >"$TMP/commands"
[ -s "$TMP/commands" ]
tap_ok $? "exscan --help lists commands" "$(cat "$TMP/out")"

# Each page's OPTIONS section as "TAG<TAB>TEXT" lines.
man_options() {
	render "$1" | python3 -c '
import re, sys
sec = None
opts = []
for line in sys.stdin.read().splitlines():
    m = re.match(r"^([A-Z][A-Z ]+)$", line)
    if m:
        sec = m.group(1)
        continue
    if sec != "OPTIONS" or not line.strip():
        continue
    if re.match(r"^ {7}-", line):
        parts = re.split(r"\s{2,}", line.strip(), maxsplit=1)
        opts.append([parts[0], parts[1] if len(parts) > 1 else ""])
    elif opts:
        opts[-1][1] = (opts[-1][1] + " " + line.strip()).strip()
for tag, text in opts:
    print(tag + "\t" + " ".join(text.split()))
'
}

# The options section of a --help text as "TAG<TAB>TEXT" lines.
help_options() {
	python3 -c '
import re, sys
inside = False
for line in sys.stdin.read().splitlines():
    if line == "options:":
        inside = True
        continue
    if inside and not line.strip():
        break
    if inside:
        m = re.match(r"^\s+((?:-\w, )?--[\w-]+(?: \S+)?)\s+(\S.*)$", line)
        if not m:
            print("UNPARSED\t" + line)
            continue
        print(" ".join(m.group(1).split()) + "\t" + " ".join(m.group(2).split()))
'
}

compare() { # compare WHAT HELPFILE MANFILE
	local d
	d=$(diff <(sort "$2") <(sort "$3"))
	[ -z "$d" ] && [ -s "$2" ]
	tap_ok $? "$1: every option of --help is in the man page and vice versa" \
		"< only in --help, > only in the man page"$'\n'"$d"
}

# exscan(1)
"$EXSCAN" --help | help_options >"$TMP/help.opts"
man_options "$MANDIR/exscan.1" >"$TMP/man.opts"
compare "exscan(1)" "$TMP/help.opts" "$TMP/man.opts"

render "$MANDIR/exscan.1" | sed -n '/^COMMANDS$/,/^[A-Z]/p' |
	sed -n 's/^       \([a-z][a-z0-9-]*\)\( .*\)\{0,1\}$/\1/p' |
	grep -vx help | sort >"$TMP/man.commands"
d=$(diff <(sort "$TMP/commands") "$TMP/man.commands")
tap_ok $([ -z "$d" ] && echo 0 || echo 1) "exscan(1) lists exactly the commands of --help" "$d"

# one page per command, no page for a command that does not exist
ls "$MANDIR" | sed -n 's/^exscan-\(.*\)\.1$/\1/p' | sort >"$TMP/pages"
d=$(diff <(sort "$TMP/commands") "$TMP/pages")
tap_ok $([ -z "$d" ] && echo 0 || echo 1) "one exscan-CMD(1) page per command" "$d"

while read -r cmd; do
	page="$MANDIR/exscan-$cmd.1"
	if [ ! -f "$page" ]; then
		tap_ok 1 "exscan-$cmd(1) exists"
		continue
	fi
	"$EXSCAN" help "$cmd" | help_options >"$TMP/help.opts"
	man_options "$page" >"$TMP/man.opts"
	compare "exscan-$cmd(1)" "$TMP/help.opts" "$TMP/man.opts"
	# the synopsis line of the help is in the page's SYNOPSIS
	syn=$("$EXSCAN" help "$cmd" | sed -n 's/^usage: //p')
	render "$page" | sed -n '/^SYNOPSIS$/,/^[A-Z]/p' | tr -s ' \n' ' ' | grep -qF "$syn"
	tap_ok $? "exscan-$cmd(1) synopsis is '$syn'"
done <"$TMP/commands"

# the pages render without warnings
for page in "$MANDIR"/*.1; do
	name=$(basename "$page")
	if command -v groff >/dev/null; then
		w=$(groff -man -Tascii -ww -z "$page" 2>&1)
		tap_ok $([ -z "$w" ] && echo 0 || echo 1) "groff -ww renders $name without warnings" "$w"
	fi
	if command -v mandoc >/dev/null; then
		w=$(mandoc -Tlint -W warning "$page" 2>&1)
		tap_ok $([ -z "$w" ] && echo 0 || echo 1) "mandoc -Tlint finds no warnings in $name" "$w"
	else
		tap_skip "mandoc -Tlint on $name" "mandoc is not installed"
	fi
done

tap_done
