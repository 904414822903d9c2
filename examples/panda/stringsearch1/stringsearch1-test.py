#!/usr/bin/python
# A plain stringsearch replay: no -os, so callstack_instr keeps its default stack type.
import os, sys, shutil
sys.path.append(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
from ptest_utils import *

run_test_debian("-panda stringsearch:name=" + miscdir + "/cat", "cat", "x86_64")
os.chdir(tmpoutdir)
shutil.move(miscdir + "/cat_string_matches.txt", tmpoutfile)
