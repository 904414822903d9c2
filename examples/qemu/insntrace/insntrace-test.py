#!/usr/bin/python
# An instruction trace of one user binary: QEMU's `-d in_asm` limited with `-dfilter` to
# the first TRACE_BYTES bytes from busybox's ELF entry point (busybox-static is not PIE,
# so that range is its start-up code in every process the guest runs).
import os
import struct
from ptest_utils import *

with open(os.path.join(qcowdir, "qemu-busybox", "busybox"), "rb") as f:
    header = f.read(64)
entry = struct.unpack_from("<Q", header, 24)[0]
length = int(os.environ.get("TRACE_BYTES", "0x200"), 0)
run_test_debian("-d in_asm -dfilter 0x%x+0x%x -D in_asm.txt" % (entry, length), "insntrace", "x86_64")
file_required(os.path.join(tmpoutdir, "in_asm.txt"))
