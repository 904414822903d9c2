#!/usr/bin/python
# syscalls2 + syscalls_logger write every system call to a pandalog. Its raw bytes differ
# between replays (PANDA's header has uninitialised padding); ptest compares it entry by
# entry, in plog mode, with the schema of the PANDA build under test.
import os, sys
sys.path.append(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
from ptest_utils import *
from panda_osi import OSI

run_test_debian(
    OSI + " -panda syscalls2:profile=linux_x86_64 -panda syscalls_logger -pandalog syscalls.plog",
    "ls",
    "x86_64",
)
