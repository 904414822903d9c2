#!/usr/bin/python
# Replay with asidstory (needs OS introspection): the processes and when they ran.
import os, sys, shutil
sys.path.append(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
from ptest_utils import *
from panda_osi import OSI

run_test_debian(OSI + " -panda asidstory", "netstat", "x86_64")
shutil.copyfile(tmpoutdir + "/asidstory", tmpoutfile)
