#!/usr/bin/python
# The script's output must show up in the guest's memory during the replay.
import os, sys, shutil
sys.path.append(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
from ptest_utils import *

run_test_debian("-panda stringsearch:name=" + miscdir + "/hello", "hello", "x86_64")
shutil.move(miscdir + "/hello_string_matches.txt", tmpoutfile)
