# The arguments that turn on PANDA's OS introspection for the panda-busybox image: its
# `-os` string and the kernel profile ptest generated when it built the image.
import os

from ptest_utils import qcowdir

OSI = (
    "-os linux-64-panda-busybox -panda osi "
    "-panda osi_linux:kconf_file=%s,kconf_group=panda-busybox:64"
    % os.path.join(qcowdir, "panda-busybox", "kernelinfo.conf")
)
