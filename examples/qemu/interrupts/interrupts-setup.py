#!/usr/bin/python
from ptest_utils import *

record_debian("guest:/bin/sleep 1", "interrupts", "x86_64")
