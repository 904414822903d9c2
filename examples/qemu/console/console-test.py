#!/usr/bin/python
# Replay the recording and keep what the command printed on the guest's console (the
# lines between ptest's begin and end markers), like asidstory keeps its process list.
import os
from ptest_utils import *

run_test_debian("", "console", "x86_64")
lines, inside = [], False
with open(os.path.join(logdir, "console-replay.console"), "rb") as f:
    for raw in f:
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if line.startswith("PTEST-END-7f3a"):
            lines.append(line)
            break
        if inside:
            lines.append(line)
        inside = inside or line == "PTEST-BEGIN-7f3a"
with open(os.path.join(tmpoutdir, "console.txt"), "w") as out:
    out.write("\n".join(lines) + "\n")
