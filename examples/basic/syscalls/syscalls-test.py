#!/usr/bin/python
# Test: "replay" the trace with an analysis (count syscalls per name) and write the
# result to tmpoutfile, which ptest compares with the blessed reference.
import collections
import os
from ptest_utils import *

counts = collections.Counter()
with open(os.path.join(replaydir, "trace.txt")) as f:
    for line in f:
        instr, name = line.split()
        counts[name] += 1

with open(tmpoutfile, "w") as out:
    for name in sorted(counts):
        out.write("%-6s %d\n" % (name, counts[name]))
progress("analysis done")
