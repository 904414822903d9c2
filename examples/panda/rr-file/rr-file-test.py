#!/usr/bin/python
# As PANDA's rr-file: record and replay the same command several times; every round must
# record and replay.
import os, sys, shutil
sys.path.append(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
from ptest_utils import *

num_tests = 3
# Recordings put their CD folder in ./replays/BINARY/: make that tmpout/, as every round
# after the first (run_test_debian moves there) does anyway.
os.chdir(tmpoutdir)
num_pass_record = 0
num_pass_rr = 0

with open(tmpoutfile, "w") as tof:

    def both(msg, disp_fn):
        tof.write(msg + "\n")
        disp_fn(msg)

    for test in range(num_tests):
        try:
            record_debian("guest:/bin/ls guest:/bin", "ls", "x86_64")
            both("Recording for %s succeeded" % testname, progress)
            num_pass_record += 1
        except Exception:
            both("Recording for %s FAILED" % testname, error)
            continue
        try:
            run_test_debian("", "ls", "x86_64", clear_tmpout=False)
            both("Replay for %s succeeded" % testname, progress)
            num_pass_rr += 1
        except Exception:
            both("Replay for %s FAILED" % testname, error)

    tof.write("%d pass record\n" % num_pass_record)
    tof.write("%d pass record+replay\n" % num_pass_rr)
    tof.write("RR test %s\n" % ("PASSED" if num_pass_rr == num_tests else "FAILED"))

# The recordings made from tmpout/ put their CD folder in ./replays, as PANDA's did.
shutil.rmtree(tmpoutdir + "/replays")
