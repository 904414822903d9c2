#!/usr/bin/python
# The interrupt log (`-d int`) of the whole replay, reduced to a histogram of vectors:
# the raw log is ~15 MB, the analysis's result a few lines.
import collections
import os
import re
from ptest_utils import *

run_test_debian("-d int -D int.log", "interrupts", "x86_64")
raw = os.path.join(tmpoutdir, "int.log")
counts = collections.Counter()
with open(raw, "rb") as f:
    for line in f:
        m = re.match(rb"\s*\d+: v=([0-9a-f]+) ", line)
        if m:
            counts[m.group(1).decode()] += 1
os.remove(raw)  # too big to bless; keep only the analysis
with open(os.path.join(tmpoutdir, "interrupts.txt"), "w") as out:
    for vector in sorted(counts):
        out.write("v=%s %d\n" % (vector, counts[vector]))
