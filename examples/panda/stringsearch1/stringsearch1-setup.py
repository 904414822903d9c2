#!/usr/bin/python
# As PANDA's stringsearch1: record cat of a guest file, and the string to look for.
import os, sys
sys.path.append(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
from ptest_utils import *

record_debian("guest:/bin/cat guest:/proc/version", "cat", "x86_64")
with open(miscdir + "/cat_search_strings.txt", "w") as ssf:
    ssf.write("Linux version\n")
