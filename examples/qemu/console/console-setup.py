#!/usr/bin/python
# Record a shell script from this folder running in the guest; a word of the command that
# names a host file is copied into the guest (see ptest_utils.record_debian).
import os
from ptest_utils import *

os.chdir(os.path.dirname(os.path.abspath(__file__)))
record_debian("sh hello.sh", "console", "x86_64")
