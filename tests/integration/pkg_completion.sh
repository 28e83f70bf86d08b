#!/usr/bin/env bash
# The generated bash and zsh completions, driven the way the shells drive them,
# against what --help says (commands, options, formats).
. "$(dirname "$0")/tap.sh"

BASHC=${EXSCAN_BASH_COMPLETION:?set by meson}
ZSHC=${EXSCAN_ZSH_COMPLETION:?set by meson}

run "$EXSCAN" --help
sed -n '/^commands:/,/^$/p' "$TMP/out" | awk 'NF && !/:$/ {print $1}' | sort >"$TMP/commands"
# options of a --help text, one word per line: -o and --output
help_words() {
	sed -n '/^options:/,/^$/p' | grep -oE '(^|[ ,])--?[A-Za-z][A-Za-z0-9-]*' | tr -d ' ,' | sort -u
}
"$EXSCAN" --help | help_words >"$TMP/global"

# complete WORD...: the completions bash offers for the last word
complete_bash() {
	bash -c '
		. "$1"; shift
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		_exscan exscan "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}"
	' complete-test "$BASHC" "$@" | sed '/^$/d' | sort
}

expect_same() { # expect_same DESCRIPTION WANTFILE GOTFILE
	local d
	d=$(diff "$2" "$3")
	[ -z "$d" ] && [ -s "$2" ]
	tap_ok $? "$1" "< wanted, > offered"$'\n'"$d"
}

bash -n "$BASHC"
tap_ok $? "bash completion parses"

complete_bash exscan '' >"$TMP/got"
expect_same "bash: exscan <TAB> offers every command of --help" "$TMP/commands" "$TMP/got"

complete_bash exscan - >"$TMP/got"
expect_same "bash: exscan -<TAB> offers the global options of --help" "$TMP/global" "$TMP/got"

complete_bash exscan --builds /tmp/x '' >"$TMP/got"
expect_same "bash: a global option's value is not taken for the command" "$TMP/commands" "$TMP/got"

grep -vx help "$TMP/commands" >"$TMP/cmds"
complete_bash exscan help '' >"$TMP/got"
expect_same "bash: exscan help <TAB> offers the commands" "$TMP/cmds" "$TMP/got"

while read -r cmd; do
	"$EXSCAN" help "$cmd" >"$TMP/help"
	help_words <"$TMP/help" >"$TMP/want"
	complete_bash exscan "$cmd" - >"$TMP/got"
	expect_same "bash: exscan $cmd -<TAB> offers exactly the options of its --help" "$TMP/want" "$TMP/got"

	formats=$(sed -n 's/^ *--format \([a-z|]*\) .*/\1/p' "$TMP/help")
	if [ -n "$formats" ]; then
		tr '|' '\n' <<<"$formats" | sort >"$TMP/want"
		complete_bash exscan "$cmd" --format '' >"$TMP/got"
		expect_same "bash: exscan $cmd --format <TAB> offers $formats" "$TMP/want" "$TMP/got"
		# --format=j: bash splits the word at '='
		first=$(head -c1 "$TMP/want")
		grep "^$first" "$TMP/want" >"$TMP/want2"
		complete_bash exscan "$cmd" --format = "$first" >"$TMP/got"
		expect_same "bash: exscan $cmd --format=$first<TAB>" "$TMP/want2" "$TMP/got"
	fi
	if grep -q -- '^ *--fail-on ' "$TMP/help"; then
		complete_bash exscan "$cmd" --fail-on v >"$TMP/got"
		grep -qx vulnerable "$TMP/got"
		tap_ok $? "bash: exscan $cmd --fail-on v<TAB> offers vulnerable" "$(cat "$TMP/got")"
	fi
done < "$TMP/cmds"

mkdir -p "$TMP/dir"
touch "$TMP/dir/result-one.jsonl" "$TMP/dir/result-two.json"
complete_bash exscan report -o "$TMP/dir/result-" >"$TMP/got"
printf '%s\n' "$TMP/dir/result-one.jsonl" "$TMP/dir/result-two.json" >"$TMP/want"
expect_same "bash: -o <TAB> completes file names" "$TMP/want" "$TMP/got"

# zsh: drive the real completion system in a pseudo-terminal (zsh/zpty)
if ! command -v zsh >/dev/null; then
	tap_skip "zsh completion" "zsh is not installed (apt-get install zsh)"
	tap_done
	exit
fi
zsh -n "$ZSHC"
tap_ok $? "zsh completion parses"
mkdir -p "$TMP/zfunc"
cp "$ZSHC" "$TMP/zfunc/_exscan"
BINDIR=$(dirname "$EXSCAN")

# complete_zsh LINE: the matches zsh lists for LINE<TAB>, one per line
complete_zsh() {
	ZDUMP="$TMP/zcompdump" ZDOTDIR="$TMP" FPATH_ADD="$TMP/zfunc" BINDIR="$BINDIR" LINE="$1" \
		timeout 20 zsh -f -c '
		zmodload zsh/zpty
		zpty z zsh -f -i
		zpty -w z "PS1=\"\"; fpath=($FPATH_ADD \$fpath); path=($BINDIR \$path)"
		zpty -w z "autoload -Uz compinit; compinit -u -d $ZDUMP"
		zpty -w z "zstyle \":completion:*\" list-grouped false"
		zpty -w z "comptest() { compadd() { builtin compadd -O __m \"\$@\"; print -rl -- \"<M>\${^__m[@]}\"; builtin compadd \"\$@\" }; _main_complete }"
		zpty -w z "zle -C comptest-w complete-word comptest; bindkey \"^T\" comptest-w"
		zpty -w z "print READY"
		zpty -r z line "*READY*"; zpty -r z line "*READY*"
		zpty -w -n z "$LINE"$'"'"'\x14'"'"'
		zpty -w z ""
		zpty -w z "print DONE"
		out=""
		while zpty -r -t z line; do out+=$line; [[ $out == *DONE*DONE* ]] && break; done
		sleep 0.3
		while zpty -r -t z line; do out+=$line; done
		print -r -- "$out"
		zpty -d z
	' 2>/dev/null | tr -d '\r' | grep -ao '<M>[^<[:cntrl:]]*' | sed 's/^<M>//; s/ *$//' | sort -u
}

complete_zsh "exscan " >"$TMP/got"
if [ ! -s "$TMP/got" ]; then
	tap_skip "zsh completion offers the commands" "could not drive zsh through zpty here"
else
	expect_same "zsh: exscan <TAB> offers every command of --help" "$TMP/commands" "$TMP/got"
	while read -r cmd; do
		"$EXSCAN" help "$cmd" | help_words | grep '^--' >"$TMP/want"
		complete_zsh "exscan $cmd --" | grep '^--' >"$TMP/got"
		expect_same "zsh: exscan $cmd --<TAB> offers exactly its long options" "$TMP/want" "$TMP/got"
		formats=$("$EXSCAN" help "$cmd" | sed -n 's/^ *--format \([a-z|]*\) .*/\1/p')
		if [ -n "$formats" ]; then
			tr '|' '\n' <<<"$formats" | sort >"$TMP/want"
			complete_zsh "exscan $cmd --format " >"$TMP/got"
			expect_same "zsh: exscan $cmd --format <TAB> offers $formats" "$TMP/want" "$TMP/got"
		fi
	done <"$TMP/cmds"
fi

tap_done
