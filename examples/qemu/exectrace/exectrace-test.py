#!/usr/bin/python
# Which translated blocks of busybox's start-up code ran, in order (`-d exec`). Each line
# names the host address of the translated code (`Trace 0: 0x7f…`), different in every
# run: a filter in test.toml redacts it at compare time.
import os
import struct
from ptest_utils import *

with open(os.path.join(qcowdir, "qemu-busybox", "busybox"), "rb") as f:
    entry = struct.unpack_from("<Q", f.read(64), 24)[0]
run_test_debian("-d exec,nochain -dfilter 0x%x+0x400 -D exec.txt" % entry, "exectrace", "x86_64")
file_required(os.path.join(tmpoutdir, "exec.txt"))

# "Stopped execution of TB chain before 0x…" lines appear when QEMU's I/O thread asks the
# vCPU to exit: host timing, not guest behaviour, so they come and go between replays of
# the same recording. Drop them (a filter can only redact values, not whole lines).
path = os.path.join(tmpoutdir, "exec.txt")
with open(path) as f:
    lines = [line for line in f if not line.startswith("Stopped execution of TB chain")]
with open(path, "w") as f:
    f.writelines(lines)
