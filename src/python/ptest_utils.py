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
# ptest.py lived in panda/testing/, so the PANDA checkout was two folders up, and PANDA
# was built in its build/ folder unless PANDA_BUILD said otherwise. `ptest record` and
# `ptest replay` find PANDA by the same rule (ptest-engine's panda::build_dir).
pandadir = os.path.realpath(os.path.join(testingscriptsdir, "..", ".."))
pandascriptsdir = os.path.join(pandadir, "panda", "scripts")
panda_build_dir = os.environ.get("PANDA_BUILD") or os.path.join(pandadir, "build")

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
#
# As PANDA's ptest_utils.py + run_debian.py + run_guest.py, through `ptest record` and
# `ptest replay`: the same emulator arguments, working directories and guest dialogue.
# Failures raise subprocess.CalledProcessError (the original's check_call/check_output),
# so scripts' try/except blocks work.


def _ptest_exe():
    return os.environ.get("PTEST_EXE", "ptest")


def _run_debian_args(words):
    """run_debian.py's own options among `words` (argparse.parse_known_args, as the
    original passed them): returns (options, guest command words)."""
    import argparse

    parser = argparse.ArgumentParser(prog="run_debian.py", add_help=False)
    parser.add_argument("--perf", action="store_true")
    parser.add_argument("--rr", action="store_true")
    parser.add_argument("--cmd", action="store")
    parser.add_argument("--env", action="store")
    parser.add_argument("--qemu_args", action="store", default="")
    parser.add_argument("--qcow", action="store", default="")
    parser.add_argument("--snapshot", "-s", action="store", default="root")
    parser.add_argument("--arch", action="store")
    parser.add_argument("--fileinput", action="store")
    parser.add_argument("--stdin", action="store_true")
    parser.add_argument("--replaybase", action="store")
    args, guest = parser.parse_known_args(words)
    for unsupported in ("perf", "rr", "env", "qemu_args", "qcow", "replaybase"):
        if getattr(args, unsupported):
            raise ValueError(
                "record_debian: run_debian.py's --%s is not supported by ptest; "
                "configure the image in ptest.toml instead" % unsupported
            )
    if args.cmd:
        import shlex

        guest = shlex.split(args.cmd)
    return args, guest


def record_debian(cmds, replayname, arch):
    """Record `cmds` run in the guest into replays/TEST/REPLAYNAME (via `ptest record`).

    As the original: `cmds` is split on whitespace (quotes stay part of the words and
    reach the guest's shell as typed), `guest:PATH` names a guest file, a word naming a
    host file is copied into ./replays/BINARY/cdrom (relative to the current directory),
    which the guest mounts at that same path. `arch` picks panda-system-ARCH and the
    image. Raises subprocess.CalledProcessError when the recording fails.
    """
    progress("Creating setup recording %s [%s]" % (replayname, cmds))
    words = cmds.split() if isinstance(cmds, str) else list(cmds)
    args, guest = _run_debian_args(words)
    cmd = [_ptest_exe(), "record", "--arch", args.arch or arch, "--name", replayname]
    if args.snapshot != "root":
        cmd += ["--snapshot", args.snapshot]
    cmd += ["--"] + guest
    progress(" ".join(cmd))
    sp.check_call(cmd)


def run_debian(cmd, replayname, arch):
    """The README's name for record_debian."""
    return record_debian(cmd, replayname, arch)


def run_test_debian(replay_args, replayname, arch, rdir=replaydir, clear_tmpout=True):
    """Replay rdir/REPLAYNAME with `replay_args` (split on whitespace, as the original)
    in tmpoutdir, which stays the current directory afterwards (os.chdir, as the
    original). PANDA's output is appended to tmpfulloutfile. Raises
    subprocess.CalledProcessError when the replay fails."""
    progress("Running test " + testname)
    args = replay_args.split() if isinstance(replay_args, str) else list(replay_args)
    cmd = [_ptest_exe(), "replay", "--arch", arch, os.path.join(rdir, replayname), "--"] + args
    progress(" ".join(cmd))
    try:
        if clear_tmpout:
            clear_dir(tmpoutdir)
        os.makedirs(tmpoutdir, exist_ok=True)
        os.chdir(tmpoutdir)
        output = sp.check_output(cmd)
        os.makedirs(os.path.dirname(tmpfulloutfile), exist_ok=True)
        with open(tmpfulloutfile, "ab") as out:
            out.write(output)
        msg = "Test %s succeeded" % testname
        progress(msg)
        with open(tmpoutfile, "a") as out:
            out.write(msg)
    except Exception:
        msg = "Test %s failed to run " % testname
        progress(msg)
        with open(tmpoutfile, "w") as out:
            out.write(msg)
        raise


def _record_imports():
    """At exit, tell ptest which modules this script imported (for `ptest test --changed`:
    a module outside the test's folder is one of its inputs). Written beside the test's
    logs; ptest reads it only after a pass. Never fails the script."""
    log_dir = os.environ.get("PTEST_LOG_DIR")
    if not log_dir or os.environ.get("PTEST_MODE") != "test":
        return
    import json

    modules = set()
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and os.path.isabs(path) and os.path.isfile(path):
            modules.add(os.path.realpath(path))
    report = {
        "executable": os.path.realpath(sys.executable),
        "modules": sorted(modules),
        # PANDA's Python API runs the emulator inside this process: not observable.
        "pandare": "pandare" in sys.modules,
    }
    folder = os.path.join(log_dir, "inputs")
    name = "python-%d.json" % os.getpid()
    try:
        os.makedirs(folder, exist_ok=True)
        tmp = os.path.join(folder, "." + name + ".tmp")
        with open(tmp, "w") as out:
            json.dump(report, out)
        os.replace(tmp, os.path.join(folder, name))
    except OSError:
        pass


import atexit as _atexit  # noqa: E402

_atexit.register(_record_imports)
