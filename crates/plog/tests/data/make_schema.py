"""Regenerates panda-plog.desc (FileDescriptorSet) and panda-plog.proto from the
schema compiled into the `pandare` PyPI package (pandare/plog_pb2.py).

    pip install pandare protobuf
    PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION=python python3 make_schema.py
"""
import importlib.util, os, site, sys, types

os.environ.setdefault("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", "python")
base = next(os.path.join(p, "pandare") for p in site.getsitepackages() if os.path.isdir(os.path.join(p, "pandare")))
pkg = types.ModuleType("pandare"); pkg.__path__ = [base]; sys.modules["pandare"] = pkg
spec = importlib.util.spec_from_file_location("pandare.plog_pb2", os.path.join(base, "plog_pb2.py"))
pb2 = importlib.util.module_from_spec(spec); sys.modules["pandare.plog_pb2"] = pb2; spec.loader.exec_module(pb2)

from google.protobuf import descriptor_pb2

fd = descriptor_pb2.FileDescriptorProto()
pb2.DESCRIPTOR.CopyToProto(fd)
here = os.path.dirname(os.path.abspath(__file__))
fds = descriptor_pb2.FileDescriptorSet(); fds.file.append(fd)
open(os.path.join(here, "panda-plog.desc"), "wb").write(fds.SerializeToString())

T = {v: k[5:].lower() for k, v in descriptor_pb2.FieldDescriptorProto.Type.items()}
L = {1: "optional", 2: "required", 3: "repeated"}
out = ['// Reconstructed from pandare/plog_pb2.py by make_schema.py.', 'syntax = "proto2";', "package panda;", ""]
for m in fd.message_type:
    out.append("message %s {" % m.name)
    for f in m.field:
        ty = f.type_name.lstrip(".").split(".")[-1] if f.type_name else T[f.type]
        out.append("  %s %s %s = %d;" % (L[f.label], ty, f.name, f.number))
    out.append("}")
open(os.path.join(here, "panda-plog.proto"), "w").write("\n".join(out) + "\n")
