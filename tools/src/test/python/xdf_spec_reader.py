#!/usr/bin/env python3
"""An XDF 1.0 reader written from the format specification alone, for the tests of `reflex export`.

It shares no code with the Java reader. It reads every chunk of FILE and prints one JSON object: per stream its
header fields, channel labels and units, the sample count, the clock offsets, the footer's sample count, and SHA-256
digests of the timestamps (each as 8 little-endian bytes) and of the values (each value's bytes as stored), so a
test can compare them with digests it computes from the journal itself. String streams list their values.

Usage: xdf_spec_reader.py FILE
Exit 0 when the file reads whole; 1 with {"error": ...} otherwise.
"""
import hashlib
import json
import struct
import sys
import xml.etree.ElementTree as ET

SIZES = {"int8": 1, "int16": 2, "int32": 4, "int64": 8, "float32": 4, "double64": 8}
BOUNDARY = bytes([0x43, 0xA5, 0x46, 0xDC, 0xCB, 0xF5, 0x41, 0x0F, 0xB3, 0x0E, 0xD5, 0x46, 0x73, 0x83, 0xCB, 0xE4])


class Damage(Exception):
    pass


def varlen(buf, at):
    """A variable-length integer at buf[at:]: (value, next offset)."""
    if at >= len(buf):
        raise Damage("varlen past the end at %d" % at)
    n = buf[at]
    if n not in (1, 4, 8):
        raise Damage("varlen width %d at %d" % (n, at))
    if at + 1 + n > len(buf):
        raise Damage("varlen cut at %d" % at)
    fmt = {1: "<B", 4: "<I", 8: "<Q"}[n]
    return struct.unpack_from(fmt, buf, at + 1)[0], at + 1 + n


def text(el, tag):
    child = el.find(tag)
    return "" if child is None or child.text is None else child.text


def read(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"XDF:":
        raise Damage("no XDF magic")
    streams = {}
    at = 4
    chunks = 0
    file_header = None
    while at < len(data):
        length, at = varlen(data, at)
        if length < 2 or at + length > len(data):
            raise Damage("chunk at %d: length %d with %d bytes left" % (at, length, len(data) - at))
        tag = struct.unpack_from("<H", data, at)[0]
        body = data[at + 2:at + length]
        at += length
        chunks += 1
        if tag == 1:
            file_header = ET.fromstring(body.decode("utf-8"))
        elif tag == 2:
            sid = struct.unpack_from("<I", body, 0)[0]
            info = ET.fromstring(body[4:].decode("utf-8"))
            channels = info.find("desc/channels")
            labels, units = [], []
            if channels is not None:
                for ch in channels.findall("channel"):
                    labels.append(text(ch, "label"))
                    units.append(text(ch, "unit"))
            streams[sid] = {
                "name": text(info, "name"), "type": text(info, "type"),
                "channel_count": int(text(info, "channel_count")),
                "nominal_srate": float(text(info, "nominal_srate")),
                "channel_format": text(info, "channel_format"), "source_id": text(info, "source_id"),
                "labels": labels, "units": units, "samples": 0, "clock_offsets": [], "footer_sample_count": None,
                "_ts": hashlib.sha256(), "_values": hashlib.sha256(), "strings": [], "_last": None,
            }
        elif tag == 3:
            sid = struct.unpack_from("<I", body, 0)[0]
            s = streams[sid]
            n, p = varlen(body, 4)
            fmt = s["channel_format"]
            srate = s["nominal_srate"]
            for _ in range(n):
                flag = body[p]
                p += 1
                if flag == 8:
                    t = struct.unpack_from("<d", body, p)[0]
                    p += 8
                elif flag == 0:
                    t = (s["_last"] or 0.0) + (1.0 / srate if srate > 0 else 0.0)
                else:
                    raise Damage("timestamp flag %d" % flag)
                s["_last"] = t
                s["_ts"].update(struct.pack("<d", t))
                for _ in range(s["channel_count"]):
                    if fmt == "string":
                        ln, p = varlen(body, p)
                        v = body[p:p + ln]
                        p += ln
                        s["strings"].append(v.decode("utf-8"))
                        s["_values"].update(v + b"\0")
                    else:
                        k = SIZES[fmt]
                        s["_values"].update(body[p:p + k])
                        p += k
                s["samples"] += 1
            if p != len(body):
                raise Damage("samples chunk of stream %d: %d bytes left over" % (sid, len(body) - p))
        elif tag == 4:
            sid, t, v = struct.unpack_from("<Idd", body, 0)
            streams[sid]["clock_offsets"].append([t, v])
        elif tag == 5:
            if body != BOUNDARY:
                raise Damage("bad boundary")
        elif tag == 6:
            sid = struct.unpack_from("<I", body, 0)[0]
            info = ET.fromstring(body[4:].decode("utf-8"))
            streams[sid]["footer_sample_count"] = int(text(info, "sample_count"))
    out = {"chunks": chunks, "version": text(file_header, "version") if file_header is not None else None,
           "streams": {}}
    for sid, s in streams.items():
        s["ts_sha256"] = s.pop("_ts").hexdigest()
        s["values_sha256"] = s.pop("_values").hexdigest()
        s.pop("_last")
        out["streams"][str(sid)] = s
    return out


def main():
    try:
        print(json.dumps(read(sys.argv[1])))
        return 0
    except (Damage, struct.error, KeyError, ValueError, ET.ParseError) as e:
        print(json.dumps({"error": str(e)}))
        return 1


if __name__ == "__main__":
    sys.exit(main())
