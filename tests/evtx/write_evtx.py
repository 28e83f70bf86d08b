#!/usr/bin/env python3
"""Writes small EVTX files for the tests: one chunk, records written as
plain binary XML elements (no templates), following the "Windows XML Event
Log (EVTX) format" documentation of libevtx.

usage: write_evtx.py OUT.evtx SPEC.json
SPEC: a list of events {"provider": str, "level": int, "time": epoch seconds,
"computer": str, "event_id": int, "channel": str, "data": [str or [name, value], ...]}
(a [name, value] pair is written <Data Name="name">value</Data>, as Security
and Sysmon events have them).
"""
import json
import struct
import sys
import zlib

CHUNK_SIZE = 65536


def name_hash(name):
    h = 0
    for c in name:
        h = (h * 65599 + ord(c)) & 0xFFFFFFFF
    return h & 0xFFFF


class BinXml:
    """Binary XML written at a known chunk offset (names are stored inline,
    so their offsets are absolute positions in the chunk)."""

    def __init__(self, base):
        self.base = base
        self.b = bytearray()

    def pos(self):
        return self.base + len(self.b)

    def name(self, name):
        self.b += struct.pack("<I", self.pos() + 4)  # the name follows right here
        self.b += struct.pack("<IHH", 0, name_hash(name), len(name))
        self.b += name.encode("utf-16-le") + b"\0\0"

    def text(self, s, more=False):
        enc = s.encode("utf-16-le")
        self.b += bytes([0x45 if more else 0x05, 0x01]) + struct.pack("<H", len(enc) // 2) + enc

    def element(self, tag, attrs=(), content=None):
        """content: None (empty element), a string, or a list of callables."""
        start = len(self.b)
        self.b += bytes([0x41 if attrs else 0x01]) + struct.pack("<H", 0xFFFF)
        size_at = len(self.b)
        self.b += b"\0\0\0\0"
        self.name(tag)
        if attrs:
            list_at = len(self.b)
            self.b += b"\0\0\0\0"
            for i, (k, v) in enumerate(attrs):
                self.b += bytes([0x46 if i + 1 < len(attrs) else 0x06])
                self.name(k)
                self.text(v)
            struct.pack_into("<I", self.b, list_at, len(self.b) - list_at - 4)
        if content is None:
            self.b += b"\x03"
        else:
            self.b += b"\x02"
            if isinstance(content, str):
                self.text(content)
            else:
                for c in content:
                    c()
            self.b += b"\x04"
        struct.pack_into("<I", self.b, size_at, len(self.b) - start - 7)


def filetime(t):
    return int((t + 11644473600) * 10000000)


def record(chunk_off, rid, ev):
    x = BinXml(chunk_off + 24)
    x.b += b"\x0f\x01\x01\x00"
    iso = "%sZ" % __import__("datetime").datetime.utcfromtimestamp(ev["time"]).isoformat(timespec="milliseconds")
    system = [
        lambda: x.element("Provider", [("Name", ev["provider"])]),
        # text, not the UInt16 template value Windows writes: libevtx gives
        # no event ID for it, exscan then reads it from the XML
        lambda: x.element("EventID", content=str(ev.get("event_id", 1))),
        lambda: x.element("Level", content=str(ev["level"])),
        lambda: x.element("TimeCreated", [("SystemTime", iso)]),
        lambda: x.element("EventRecordID", content=str(rid)),
        lambda: x.element("Channel", content=ev.get("channel", "Application")),
        lambda: x.element("Computer", content=ev.get("computer", "EX01.corp.example")),
    ]
    data = [(lambda d=d: x.element("Data", content=d)) if isinstance(d, str) else
            (lambda d=d: x.element("Data", [("Name", d[0])], content=d[1])) for d in ev["data"]]
    x.element("Event", [("xmlns", "http://schemas.microsoft.com/win/2004/08/events/event")], [
        lambda: x.element("System", content=system),
        lambda: x.element("EventData", content=data),
    ])
    x.b += b"\x00"
    body = bytes(x.b)
    size = 24 + len(body) + 4
    return (b"**\0\0" + struct.pack("<IQQ", size, rid, filetime(ev["time"])) + body +
            struct.pack("<I", size))


def write(path, events):
    recs = bytearray()
    offsets = []
    for i, ev in enumerate(events):
        off = 512 + len(recs)
        offsets.append(off)
        recs += record(off, i + 1, ev)
    if 512 + len(recs) > CHUNK_SIZE:
        raise SystemExit("too many events for one chunk")
    n = len(events)
    chunk = bytearray(CHUNK_SIZE)
    chunk[512:512 + len(recs)] = recs
    hdr = struct.pack("<8sQQQQIIII", b"ElfChnk\0", 1, n, 1, n, 128, offsets[-1] if n else 512, 512 + len(recs),
                      zlib.crc32(bytes(recs)))
    chunk[0:len(hdr)] = hdr
    struct.pack_into("<I", chunk, 124, zlib.crc32(bytes(chunk[0:120]) + bytes(chunk[128:512])))
    fh = bytearray(4096)
    struct.pack_into("<8sQQQIHHHH", fh, 0, b"ElfFile\0", 0, 0, n + 1, 128, 1, 3, 4096, 1)
    struct.pack_into("<I", fh, 124, zlib.crc32(bytes(fh[0:120])))
    with open(path, "wb") as f:
        f.write(fh)
        f.write(chunk)


if __name__ == "__main__":
    write(sys.argv[1], json.load(open(sys.argv[2])))
