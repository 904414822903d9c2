#!/usr/bin/python
from ptest_utils import *

record_debian("guest:/bin/ls -l /bin/busybox", "exectrace", "x86_64")
