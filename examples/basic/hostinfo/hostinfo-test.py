#!/usr/bin/python
# An analysis whose raw output carries values that differ on every run: a host pointer
# and a timestamp. The filters in ptest.toml and test.toml redact them at compare time;
# the blessed file keeps the raw output.
import datetime
import os
from ptest_utils import *

buffer = bytearray(64)
with open(tmpoutfile, "w") as out:
    out.write("analysis: hostinfo\n")
    out.write("started: %s\n" % datetime.datetime.now().isoformat())
    out.write("buffer at 0x%x\n" % (0x7f0000000000 + (id(buffer) & 0xFFFFFFFFF)))
    out.write("entries: 3\n")
