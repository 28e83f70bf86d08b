# Windows executables with a version resource, built with mingw-w64 for the
# tests that read an Exchange build from the disk (sourced).
# have_mingw: whether x86_64-w64-mingw32-gcc and -windres are installed.
have_mingw() {
	command -v x86_64-w64-mingw32-gcc >/dev/null && command -v x86_64-w64-mingw32-windres >/dev/null
}

# make_exe OUT A B C D: a Windows executable whose file version is A.B.C.D
make_exe() {
	local out=$1 d="$TMP/pe.$$.$RANDOM"

	mkdir -p "$d"
	cat >"$d/v.rc" <<R
1 VERSIONINFO
FILEVERSION $2,$3,$4,$5
PRODUCTVERSION $2,$3,$4,$5
BEGIN
  BLOCK "StringFileInfo"
  BEGIN
    BLOCK "040904B0"
    BEGIN
      VALUE "FileVersion", "$2.$3.$4.$5"
      VALUE "ProductName", "Microsoft Exchange"
    END
  END
  BLOCK "VarFileInfo"
  BEGIN
    VALUE "Translation", 0x409, 1200
  END
END
R
	printf 'int main(void) { return 0; }\n' >"$d/m.c"
	x86_64-w64-mingw32-windres "$d/v.rc" -O coff -o "$d/v.o" &&
		x86_64-w64-mingw32-gcc -s "$d/m.c" "$d/v.o" -o "$out"
}
