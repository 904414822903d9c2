#!/usr/bin/python
# A plugin that logs with pandalog, as the ptest README asks plugin authors to do.
# This stand-in writes a small pandalog (the format PANDA's plog-cc writes: a 128-byte
# header, zlib-compressed chunks of length-prefixed panda.LogEntry messages, a chunk
# directory) with an ASID-change entry per "context switch". ptest recognises the file as
# a pandalog by its content and compares it entry by entry (`ptest plog dump` shows it).
import struct
import zlib
from ptest_utils import *

BOGUS = 2**64 - 1


def varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field_varint(number, value):
    return varint(number << 3) + varint(value)


def field_message(number, payload):
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def log_entry(pc, instr, asid=None, pid=None, name=None, ppid=1, start=0, end=0):
    msg = field_varint(1, pc) + field_varint(2, instr)
    if asid is not None:
        # asid_info (field 40), as PANDA's AsidInfo: pid 1, create_time 2, ppid 3, asid 4,
        # names 5, tids 6, start_instr 7, end_instr 8
        info = (
            field_varint(1, pid)
            + field_varint(2, 1000 + pid)
            + field_varint(3, ppid)
            + field_varint(4, asid)
            + field_message(5, name.encode())
            + field_varint(6, pid)
            + field_varint(7, start)
            + field_varint(8, end)
        )
        msg += field_message(40, info)
    return msg


entries = [log_entry(BOGUS, BOGUS)]
processes = [(0x1C2B000, 1, "init"), (0x3F00000, 412, "sshd"), (0x2A40000, 977, "cat")]
for i in range(60):
    asid, pid, name = processes[i % 3]
    instr = 10_000 + i * 7_919
    entries.append(log_entry(0xC1000000 + i * 0x40, instr, asid, pid, name, start=instr, end=instr + 7_918))

chunks, directory, pos = [], [], 128
for start in range(0, len(entries), 25):
    batch = entries[start:start + 25]
    raw = b"".join(struct.pack("<I", len(m)) + m for m in batch)
    data = zlib.compress(raw)
    first_instr = 0 if start == 0 else 10_000 + (start - 1) * 7_919
    directory.append((first_instr & 0xFFFFFFFF, pos, len(batch)))
    chunks.append(data)
    pos += len(data)

with open(os.path.join(tmpoutdir, "asidstory.plog"), "wb") as f:
    f.write(struct.pack("<IIQI", 2, 0, pos, 16 * 1024 * 1024).ljust(128, b"\0"))
    for data in chunks:
        f.write(data)
    f.write(struct.pack("<I", len(directory)))
    for instr, chunk_pos, count in directory:
        f.write(struct.pack("<QQQ", instr, chunk_pos, count))
progress("wrote %d pandalog entries" % len(entries))
