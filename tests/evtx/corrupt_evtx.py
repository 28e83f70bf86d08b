#!/usr/bin/env python3
"""Damages records of an EVTX file written by write_evtx.py (one chunk), in
a copy: the binary XML of the chosen records is overwritten with a token
libevtx does not know, as in real logs whose records it cannot decode.

usage: corrupt_evtx.py IN.evtx OUT.evtx RECORDS [--stale-crc] [--signature]
RECORDS: comma-separated 1-based record numbers, or "first:N" for 1..N.
The chunk checksums are recomputed so that the chunk itself looks sound,
unless --stale-crc is given (then libevtx also flags the file as damaged).
--signature breaks the records' signature instead (and leaves the checksums
stale): libevtx drops the chunk and recovers what records it can.
"""
import struct
import sys
import zlib

CHUNK = 4096


def main():
    src, dst, which = sys.argv[1], sys.argv[2], sys.argv[3]
    sig = "--signature" in sys.argv[4:]
    stale = sig or "--stale-crc" in sys.argv[4:]
    d = bytearray(open(src, "rb").read())
    if which.startswith("first:"):
        pick = set(range(1, int(which[6:]) + 1))
    else:
        pick = {int(x) for x in which.split(",")}
    off, end = CHUNK + 512, struct.unpack_from("<I", d, CHUNK + 48)[0] + CHUNK
    i = 0
    while off < end and d[off:off + 4] == b"**\0\0":
        i += 1
        size = struct.unpack_from("<I", d, off + 4)[0]
        if i in pick and sig:
            d[off] = 0
        elif i in pick:
            # after the fragment header (0x0f 01 01 00): an unknown token
            for k in range(off + 28, off + 28 + 16):
                d[k] = 0xFF
        off += size
    if not stale:
        struct.pack_into("<I", d, CHUNK + 52, zlib.crc32(bytes(d[CHUNK + 512:end])))
        struct.pack_into("<I", d, CHUNK + 124,
                         zlib.crc32(bytes(d[CHUNK:CHUNK + 120]) + bytes(d[CHUNK + 128:CHUNK + 512])))
    open(dst, "wb").write(d)


if __name__ == "__main__":
    main()
