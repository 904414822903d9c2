#!/usr/bin/python
# Record a few busybox applets running in the guest (`guest:` names a guest file).
from ptest_utils import *

record_debian("guest:/bin/busybox sh -c 'echo one; echo two | wc -c; true'", "insntrace", "x86_64")
