#!/usr/bin/python
# As PANDA's asidstory1: record netstat in the guest.
import os, sys
sys.path.append(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
from ptest_utils import *

record_debian("guest:/bin/netstat -a", "netstat", "x86_64")
