#!/usr/bin/python
import os, sys
sys.path.append(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
from ptest_utils import *

record_debian("guest:/bin/ls /", "ls", "x86_64")
