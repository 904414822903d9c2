#!/usr/bin/python
# A host file named in the command is copied into the guest on a CD and run from there.
import os, sys
sys.path.append(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
from ptest_utils import *

here = os.path.dirname(os.path.realpath(__file__))
# Recordings put their CD folder in ./replays/BINARY/ (as PANDA's run_debian did): keep it
# out of the suite's source folder.
os.chdir(miscdir)
record_debian("guest:/bin/sh " + os.path.join(here, "hello.sh"), "hello", "x86_64")
with open(miscdir + "/hello_search_strings.txt", "w") as ssf:
    ssf.write("ptest-cdrom: hello\n")
