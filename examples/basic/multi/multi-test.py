#!/usr/bin/python
# Several output files: a summary, a table whose row order is not deterministic
# (compared in `sorted` mode, see test.toml), and a small binary file.
import os
import random
from ptest_utils import *

rows = ["pid=%d name=proc%d asid=0x%x" % (100 + i, i, 0x1000 * (i + 1)) for i in range(8)]
random.shuffle(rows)  # like asidstory's row order, which flapped in PANDA's CI
with open(os.path.join(tmpoutdir, "processes.txt"), "w") as f:
    f.write("\n".join(rows) + "\n")
with open(os.path.join(tmpoutdir, "summary.txt"), "w") as f:
    f.write("processes: %d\n" % len(rows))
with open(os.path.join(tmpoutdir, "memory.bin"), "wb") as f:
    f.write(bytes(range(256)) * 4)
