"""Shim for running PANDA's original ptest.py under Python 3 (tests/panda_original.rs).

It fixes only what makes the original crash under Python 3 or on this machine, never
what it does:
- expect.py's Expect.send writes `str` to os.write and Expect.sendline adds str + b"\\n"
  (Python 2 leftovers): str is encoded as UTF-8 first.
- ptest.py runs each script by path (`check_call([script])`) and their shebang is
  `#!/usr/bin/python`, which Debian 12 does not have: such a script is run with this
  interpreter instead (the same as what `python` would have been).
"""
import importlib.abc
import importlib.util
import os
import subprocess
import sys


def _fix_expect(module):
    send = module.Expect.send

    def send_bytes(self, msg):
        return send(self, msg.encode() if isinstance(msg, str) else msg)

    def sendline(self, msg=b""):
        self.send((msg.encode() if isinstance(msg, str) else msg) + b"\n")

    module.Expect.send = send_bytes
    module.Expect.sendline = sendline


class _PatchExpect(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "expect":
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def exec_and_fix(module):
            exec_module(module)
            _fix_expect(module)

        spec.loader.exec_module = exec_and_fix
        return spec


sys.meta_path.insert(0, _PatchExpect())

_check_call = subprocess.check_call


def _check_call_python2_shebang(args, *a, **kw):
    if isinstance(args, list) and len(args) == 1 and not os.path.exists("/usr/bin/python"):
        try:
            with open(args[0], "rb") as f:
                first = f.readline()
        except OSError:
            first = b""
        if first.strip() == b"#!/usr/bin/python":
            args = [sys.executable, args[0]]
    return _check_call(args, *a, **kw)


subprocess.check_call = _check_call_python2_shebang
