#!/usr/bin/python
# asidstory writing a pandalog instead of its text file: one AsidInfo entry per process.
# The log's raw bytes differ between replays (PANDA writes its header with uninitialised
# padding); ptest compares it entry by entry, in plog mode, with the schema of the PANDA
# build under test.
#
# (syscalls2 + syscalls_logger, PANDA's syscall pandalog, aborts on Debian 12's 6.1 kernel
# in osi_linux's default_get_group_leader, so this suite logs with asidstory.)
import os, sys
sys.path.append(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
from ptest_utils import *
from panda_osi import OSI

run_test_debian(OSI + " -panda asidstory -pandalog asidstory.plog", "ls", "x86_64")
