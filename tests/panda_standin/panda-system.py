#!/usr/bin/env python3
"""A stand-in for PANDA's panda-system-ARCH, for tests/panda_original.rs (PANDA's qcows
cannot be downloaded there). Installed as CHECKOUT/build/ARCH-softmmu/panda-system-ARCH.

It appends one JSON line per run to $PANDA_STANDIN_JOURNAL: argv, cwd and every line
received on the monitor and console, in order. Recording (no -replay): it serves the
monitor and a shell-like console on the unix sockets of -monitor/-serial
(server,nowait), and on `begin_record "P"` ... `end_record` writes P-rr-snp and
P-rr-nondet.log (instruction count first, 8 bytes little-endian). Replaying (-replay R):
prints progress lines as PANDA does and writes what the plugins would: asidstory ->
./asidstory; stringsearch:name=X -> X_string_matches.txt; scissors:name=X,start,end -> a
recording X. With PANDA_STANDIN_FAIL_REDUCED set, replays of *_reduced recordings fail.
PANDA_STANDIN_GUEST_EXIT is the exit status the guest reports for the recorded command.
`-version` answers as PANDA's QEMU does (version line first, copyright second).

For tests/panda_driver.rs (all off unless set; none changes the journal's argv/cwd/
dialogue):
- every journal line also holds "pid", "start" and "end" (time.time() at start and exit);
- PANDA_STANDIN_RECORD_SECONDS=S: a recording takes S seconds longer (slept at end_record);
- PANDA_STANDIN_NO_PROMPT=TEXT: TEXT goes to stderr at start-up and the console never
  answers (as after a failed -loadvm: "Error -22 while activating snapshot 'root' ...");
- PANDA_STANDIN_PROGRESS_SECONDS=S: a replay waits S seconds between progress lines;
- PANDA_STANDIN_PROGRESS_STEP=P: progress lines every P percent (default 10);
- PANDA_STANDIN_STALL_AT=P: a replay prints progress up to P percent, then hangs silently.

For tests/image_map.rs: PANDA_STANDIN_PROMPT=TEXT is the console's prompt (that of the
image mapped in), instead of the wheezy image's for ARCH.
"""
import os
import socket
import sys
import time

PROMPTS = {"i386": "root@debian-i386:~#", "x86_64": "root@debian-amd64:~#"}
ARCH = os.path.basename(sys.argv[0]).rsplit("-", 1)[-1]
journal = {"argv": sys.argv, "cwd": os.getcwd(), "dialogue": []}


def now():
    return time.time()


def write_journal():
    import json

    path = os.environ.get("PANDA_STANDIN_JOURNAL")
    journal["pid"] = os.getpid()
    journal["end"] = now()
    if path:
        with open(path, "a") as f:
            f.write(json.dumps(journal) + "\n")


def opt(flag):
    args = sys.argv[1:]
    return args[args.index(flag) + 1] if flag in args else None


def count_for(text):
    return 100000 + sum(text.encode()) % 900000


def write_recording(base, count):
    with open(base + "-rr-nondet.log", "wb") as f:
        f.write(count.to_bytes(8, "little") + b"stand-in nondet log\n")
    with open(base + "-rr-snp", "wb") as f:
        f.write(b"stand-in snapshot\n")


def replay(base):
    name = os.path.basename(base)
    if os.environ.get("PANDA_STANDIN_FAIL_REDUCED") and name.endswith("_reduced"):
        sys.stderr.write("stand-in: replay of %s fails (PANDA_STANDIN_FAIL_REDUCED)\n" % name)
        return 1
    try:
        with open(base + "-rr-nondet.log", "rb") as f:
            total = int.from_bytes(f.read(8), "little")
    except OSError as e:
        sys.stderr.write("stand-in: %s\n" % e)
        return 1
    print("loading snapshot\nopening nondet log for read :\t%s-rr-nondet.log" % base)
    pace = float(os.environ.get("PANDA_STANDIN_PROGRESS_SECONDS", "0"))
    step = int(os.environ.get("PANDA_STANDIN_PROGRESS_STEP", "10"))
    stall_at = int(os.environ.get("PANDA_STANDIN_STALL_AT", "101"))
    for pct in range(step, 101, step):
        if pct > step and pace:
            time.sleep(pace)
        print("%s:  %10d (%6.2f%%) instrs.    0.01 sec.  0.05 GB ram." % (name, total * pct // 100, pct))
        sys.stdout.flush()
        if pct >= stall_at:
            while True:
                time.sleep(60)
    args = sys.argv[1:]
    for i, a in enumerate(args):
        if a != "-panda":
            continue
        plugin, _, rest = args[i + 1].partition(":")
        kv = dict(p.split("=", 1) if "=" in p else (p, "") for p in rest.split(",") if p)
        if plugin == "asidstory":
            with open("asidstory", "w") as f:
                f.write("asidstory of %s: %d instrs\n" % (name, total))
        elif plugin == "stringsearch":
            with open(kv["name"] + "_string_matches.txt", "w") as f:
                f.write("Debian User: %d\n" % (total % 97))
        elif plugin == "scissors":
            start, end = int(kv.get("start", 0)), int(kv.get("end", total))
            write_recording(kv["name"], max(end - start, 1))
    print("Replay completed successfully")
    return 0


def serve(mon_path, ser_path):
    import select

    listeners = {}
    for kind, path in (("monitor", mon_path), ("console", ser_path)):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        # Listening before the path appears: clients poll for the path, then connect.
        s.bind(path + ".tmp")
        s.listen(1)
        os.rename(path + ".tmp", path)
        listeners[s] = kind
    clients, bufs = {}, {}
    recording, typed, status = None, "", int(os.environ.get("PANDA_STANDIN_GUEST_EXIT", "0"))
    prompt = os.environ.get("PANDA_STANDIN_PROMPT") or PROMPTS.get(ARCH, "# ")
    no_prompt = os.environ.get("PANDA_STANDIN_NO_PROMPT")
    if no_prompt:
        sys.stderr.write(no_prompt + "\n")
        sys.stderr.flush()
    while True:
        ready, _, _ = select.select(list(listeners) + list(clients), [], [], 30)
        if not ready:
            return 1
        for s in ready:
            if s in listeners:
                c, _ = s.accept()
                clients[c] = listeners[s]
                bufs[c] = b""
                if listeners[s] == "monitor":
                    c.sendall(b"QEMU 2.9.1 monitor - type 'help' for more information\r\n(qemu) ")
                continue
            data = s.recv(4096)
            if not data:
                del clients[s]
                continue
            bufs[s] += data
            while b"\n" in bufs[s]:
                line, bufs[s] = bufs[s].split(b"\n", 1)
                text = line.decode()
                kind = clients[s]
                journal["dialogue"].append([kind, text])
                if kind == "monitor":
                    if text.startswith("begin_record "):
                        recording = text.split('"')[1]
                    elif text == "end_record" and recording:
                        delay = os.environ.get("PANDA_STANDIN_RECORD_SECONDS")
                        if delay:
                            time.sleep(float(delay))
                        write_recording(recording, count_for(typed))
                        recording = None
                    elif text == "quit":
                        return 0
                    s.sendall(text.encode() + b"\r\n(qemu) ")
                elif no_prompt:
                    continue
                else:
                    answer = text + "\r\n"
                    if text.startswith("echo ptest-guest-exit="):
                        answer += "ptest-guest-exit=%d\r\n" % status
                    elif recording:
                        typed = text
                    s.sendall((answer + prompt + " ").encode())


def main():
    if "-version" in sys.argv[1:]:
        print("QEMU emulator version 2.9.1 (stand-in PANDA)")
        print("Copyright (c) 2003-2017 Fabrice Bellard and the QEMU Project developers")
        return 0
    journal["start"] = now()
    try:
        base = opt("-replay")
        if base:
            return replay(base)
        mon = opt("-monitor").split(":", 1)[1].split(",")[0]
        ser = opt("-serial").split(":", 1)[1].split(",")[0]
        return serve(mon, ser)
    finally:
        write_journal()


sys.exit(main())
