"""ptest_utils: the helper module ptest.py test scripts import (`from ptest_utils import *`).

Shipped inside the ptest binary and put first on PYTHONPATH for every script, so existing
suites keep working unchanged. Everything is derived from the environment ptest sets
(PTEST_TEST, PTEST_TMPOUT_DIR, ...); nothing heavy is imported at module load.
"""

import os
import re
import shutil
import subprocess as sp
import sys
import tempfile

__all__ = [
    "testname", "pandaregressiondir", "testingscriptsdir", "replaydir", "blesseddir",
    "tmpoutdir", "miscdir", "logdir", "qcowdir", "tmpoutfile", "tmpfulloutfile",
    "search_string_file", "search_string_file_pfx", "enabled_tests", "disabled_tests",
    "progress", "error", "file_exists", "dir_exists", "dir_required", "file_required",
    "clear_dir", "moveit", "create_search_string_file", "record_debian",
    "run_test_debian", "run_debian", "panda_build_dir", "shutil", "os", "sys",
    # ptest.py's `import *` also leaked these; old scripts use them without importing.
    "sp", "re", "tempfile", "run", "pandadir", "pandascriptsdir", "debug",
]

debug = False


def _env(name, default=None):
    value = os.environ.get(name)
    if value is None and default is None:
        sys.stderr.write(
            "[ptest] %s is not set: run this script through ptest (ptest test NAME)\n" % name
        )
        sys.exit(2)
    return value if value is not None else default


pandaregressiondir = _env("PANDA_REGRESSION_DIR")
_suite_dir = _env("PTEST_SUITE_DIR", os.getcwd())
# ptest.py kept its tests in testing/tests/ and called testing/ the scripts dir.
testingscriptsdir = (
    os.path.dirname(_suite_dir) if os.path.basename(_suite_dir) == "tests" else _suite_dir
)
panda_build_dir = os.environ.get("PANDA_BUILD", "")
# ptest.py lived in panda/testing/, so the PANDA checkout was two folders up.
pandadir = os.environ.get("PANDA_DIR", os.path.realpath(os.path.join(testingscriptsdir, "..", "..")))
pandascriptsdir = os.path.join(pandadir, "panda", "scripts")

def _name_from_script():
    """NAME from a script path .../NAME-setup.py or .../NAME-test.py, as ptest.py derived it,
    so a script run by hand (outside ptest) still finds its folders."""
    base = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    stem = base.rsplit(".", 1)[0] if base.endswith((".py", ".sh")) else base
    name, _, role = stem.rpartition("-")
    return name if role in ("setup", "test") else ""


testname = _env("PTEST_TEST", _name_from_script())
replaydir = _env("PTEST_REPLAY_DIR", os.path.join(pandaregressiondir, "replays", testname))
blesseddir = _env("PTEST_BLESSED_DIR", os.path.join(pandaregressiondir, "blessed", testname))
tmpoutdir = _env("PTEST_TMPOUT_DIR", os.path.join(pandaregressiondir, "tmpout", testname))
miscdir = _env("PTEST_MISC_DIR", os.path.join(pandaregressiondir, "misc", testname))
logdir = _env("PTEST_LOG_DIR", os.path.join(pandaregressiondir, "logs", testname))
qcowdir = _env("PTEST_QCOW_DIR", os.path.join(pandaregressiondir, "qcows"))
tmpoutfile = _env("PTEST_OUTFILE", os.path.join(tmpoutdir, testname + ".out"))
# The replay's full console output: kept out of tmpout/ so it is never compared.
tmpfulloutfile = os.path.join(logdir, testname + "-full.out")
search_string_file_pfx = os.path.join(miscdir, testname)
search_string_file = search_string_file_pfx + "_search_strings.txt"


def _read_config():
    enabled, disabled = [], []
    path = os.path.join(_suite_dir, "config.testing")
    try:
        with open(path) as f:
            lines = [line.strip() for line in f]
    except OSError:
        return enabled, disabled
    for line in lines:
        if not line:
            continue
        if line.startswith("#"):
            disabled.append(line)
        else:
            enabled.append(line)
    return enabled, disabled


enabled_tests, disabled_tests = _read_config()


def progress(msg):
    print("[ptest] " + msg)
    sys.stdout.flush()


def error(msg):
    print("[ptest] ERROR: " + msg)
    sys.stdout.flush()


def run(cmd):
    """Run a command (as ptest.py did: output discarded unless `debug`); raise on failure."""
    if debug:
        sp.check_call([cmd])
    else:
        with open(os.devnull, "w") as devnull:
            sp.check_call([cmd], stdout=devnull, stderr=devnull)


def dir_exists(dirname):
    return os.path.isdir(dirname)


def file_exists(filename):
    return os.path.isfile(filename)


def dir_required(dirname):
    if not dir_exists(dirname):
        error("Dir missing: " + dirname)
        sys.exit(1)


def file_required(filename):
    if not file_exists(filename):
        error("File missing: " + filename)
        sys.exit(1)


def clear_dir(dirname):
    """Empty a directory (creating it)."""
    if os.path.isdir(dirname) and not os.path.islink(dirname):
        shutil.rmtree(dirname)
    os.makedirs(dirname, exist_ok=True)


def moveit(base1, base2, suff):
    progress("moving %s%s to %s%s" % (base1, suff, base2, suff))
    shutil.move(base1 + suff, base2 + suff)


def create_search_string_file(search_string):
    os.makedirs(miscdir, exist_ok=True)
    with open(search_string_file, "w") as ssf:
        ssf.write(search_string + "\n")


# --- recording and replaying -------------------------------------------------------------

_ARCHES = {
    # arch: (build dir, emulator binary)
    "i386": ("i386-softmmu", "panda-system-i386"),
    "x86_64": ("x86_64-softmmu", "panda-system-x86_64"),
    "ppc": ("ppc-softmmu", "panda-system-ppc"),
    "arm": ("arm-softmmu", "panda-system-arm"),
    "aarch64": ("aarch64-softmmu", "panda-system-aarch64"),
    "mips": ("mips-softmmu", "panda-system-mips"),
    "mipsel": ("mipsel-softmmu", "panda-system-mipsel"),
    "mips64": ("mips64-softmmu", "panda-system-mips64"),
}


def _panda_binary(arch):
    if arch not in _ARCHES:
        error("unknown arch %r: use one of %s" % (arch, ", ".join(sorted(_ARCHES))))
        sys.exit(2)
    build_dir, binary = _ARCHES[arch]
    candidates = []
    if panda_build_dir:
        candidates.append(os.path.join(panda_build_dir, build_dir, binary))
    found = shutil.which(binary)
    if found:
        candidates.append(found)
    for candidate in candidates:
        if os.access(candidate, os.X_OK):
            return candidate
    error(
        "PANDA not found: no %s under $PANDA_BUILD/%s (PANDA_BUILD=%r) or on PATH; "
        "build PANDA and export PANDA_BUILD=/path/to/panda/build" % (binary, build_dir, panda_build_dir)
    )
    sys.exit(2)


def _ptest_exe():
    return os.environ.get("PTEST_EXE", "ptest")


def _guest_command(cmds):
    """Split `cmds` (a string or a list) into guest words and host files to copy in.

    As in PANDA's run_debian: a word starting with `guest:` names a file already in the
    guest (the prefix is dropped); any other word that is an existing host file is copied
    into the guest's working directory and replaced by `./BASENAME`.
    """
    import shlex

    words = shlex.split(cmds) if isinstance(cmds, str) else list(cmds)
    guest, copies = [], []
    for word in words:
        if word.startswith("guest:"):
            guest.append(word[len("guest:"):])
        elif os.path.isfile(word):
            copies.append(os.path.abspath(word))
            guest.append("./" + os.path.basename(word))
        else:
            guest.append(word)
    return guest, copies


def _run_ptest(cmd, what):
    import subprocess

    progress(" ".join(cmd))
    rc = subprocess.call(cmd)
    if rc != 0:
        error("%s failed (exit %d); see the messages above and the logs in %s" % (what, rc, logdir))
        sys.exit(rc if rc > 0 else 1)


def record_debian(cmds, replayname, arch):
    """Record `cmds` run in the guest into replays/TEST/REPLAYNAME (via `ptest record`).

    The image is the test's or suite's `image`; `arch` picks PANDA's emulator.
    """
    progress("Creating setup recording %s [%s]" % (replayname, cmds))
    guest, copies = _guest_command(cmds)
    cmd = [_ptest_exe(), "record", "--arch", arch, "--name", replayname]
    for path in copies:
        cmd += ["--copy", path]
    _run_ptest(cmd + ["--"] + guest, "recording " + replayname)


def run_debian(cmd, replayname, arch):
    """The README's name for record_debian."""
    return record_debian(cmd, replayname, arch)


def run_test_debian(replay_args, replayname, arch, rdir=replaydir, clear_tmpout=True):
    """Replay rdir/REPLAYNAME with `replay_args` (plugins, -d …) in tmpoutdir (via `ptest replay`)."""
    import shlex
    import subprocess

    progress("Running test " + testname)
    if clear_tmpout:
        clear_dir(tmpoutdir)
    os.makedirs(tmpoutdir, exist_ok=True)
    os.makedirs(os.path.dirname(tmpfulloutfile), exist_ok=True)
    args = shlex.split(replay_args) if isinstance(replay_args, str) else list(replay_args)
    name = replayname
    if os.path.abspath(rdir) != os.path.abspath(replaydir):
        name = os.path.join(os.path.abspath(rdir), replayname)
    cmd = [_ptest_exe(), "replay", "--arch", arch, name, "--"] + args
    progress(" ".join(cmd))
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    with open(tmpfulloutfile, "ab") as out:
        out.write(proc.stdout)
    sys.stdout.write(proc.stdout.decode("utf-8", "replace"))
    if proc.returncode != 0:
        msg = "Test %s failed to run" % testname
        error(msg + " (ptest replay exited %d)" % proc.returncode)
        with open(tmpoutfile, "w") as out:
            out.write(msg)
        sys.exit(1)
    msg = "Test %s succeeded" % testname
    progress(msg)
    with open(tmpoutfile, "a") as out:
        out.write(msg)

