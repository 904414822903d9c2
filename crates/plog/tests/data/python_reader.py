"""Runs PANDA's reference reader (`python -m pandare.plog_reader FILE`) without
importing pandare/__init__.py (which needs PANDA's native libraries): the package is
stubbed and plog_pb2 / plog_reader are loaded from the installed pandare directly.

    pip install pandare protobuf
    python3 python_reader.py FILE            # what `python -m pandare.plog_reader` prints
    python3 python_reader.py --bench FILE [N]  # backend, entries, seconds, entries/s, peak RSS KiB, CPU s
"""
import importlib.util, os, runpy, site, sys, time, types

base = next((os.path.join(p, "pandare") for p in site.getsitepackages() + [site.getusersitepackages()]
             if os.path.isfile(os.path.join(p, "pandare", "plog_pb2.py"))), None)
if base is None:
    sys.exit("python_reader.py: pandare is not installed (pip install pandare protobuf)")
pkg = types.ModuleType("pandare"); pkg.__path__ = [base]; sys.modules["pandare"] = pkg
from google.protobuf.internal import api_implementation
if api_implementation.Type() == "python":
    spec = importlib.util.spec_from_file_location("pandare.plog_pb2", os.path.join(base, "plog_pb2.py"))
    pb2 = importlib.util.module_from_spec(spec); sys.modules["pandare.plog_pb2"] = pb2; spec.loader.exec_module(pb2)
else:
    # pandare's plog_pb2.py is old-style generated code that only the pure-Python
    # backend accepts; for the fast (upb) backend build the same LogEntry class from the
    # same schema (panda-plog.desc, extracted from that plog_pb2.py by make_schema.py).
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
    fds = descriptor_pb2.FileDescriptorSet()
    fds.ParseFromString(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "panda-plog.desc"), "rb").read())
    pool = descriptor_pool.DescriptorPool()
    for f in fds.file:
        pool.Add(f)
    pb2 = types.ModuleType("pandare.plog_pb2")
    pb2.LogEntry = message_factory.GetMessageClass(pool.FindMessageTypeByName("panda.LogEntry"))
    sys.modules["pandare.plog_pb2"] = pb2
pkg.plog_pb2 = pb2

if sys.argv[1] == "--bench":
    spec = importlib.util.spec_from_file_location("pandare.plog_reader", os.path.join(base, "plog_reader.py"))
    rd = importlib.util.module_from_spec(spec); spec.loader.exec_module(rd)
    from google.protobuf.json_format import MessageToJson
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else None
    t0 = time.perf_counter(); n = 0
    # Same work as `python -m pandare.plog_reader FILE > /dev/null`: decode, render, print.
    with rd.PLogReader(sys.argv[2]) as plr, open(os.devnull, "w") as out:
        print('[', file=out)
        for m in plr:
            if n > 0: print(',', file=out)
            print(MessageToJson(m), end='', file=out); n += 1
            if limit and n >= limit: break
        print('\n]', file=out)
    dt = time.perf_counter() - t0
    import resource
    ru = resource.getrusage(resource.RUSAGE_SELF)
    print("%s %d %.3f %.0f %d %.2f" % (api_implementation.Type(), n, dt, n / dt, ru.ru_maxrss, ru.ru_utime + ru.ru_stime))
else:
    sys.argv = sys.argv[:1] + sys.argv[1:]
    runpy.run_path(os.path.join(base, "plog_reader.py"), run_name="__main__")
