#!/usr/bin/python
# Setup: "record" the input the analysis replays. A real suite records a guest here
# (record_debian); this example writes a deterministic trace into the replay folder.
import os
from ptest_utils import *

os.makedirs(replaydir, exist_ok=True)
with open(os.path.join(replaydir, "trace.txt"), "w") as f:
    for i in range(200):
        f.write("%d %s\n" % (1000 + i * 37, ["read", "write", "open", "close", "mmap"][i * 7 % 5]))
progress("wrote %s" % os.path.join(replaydir, "trace.txt"))
