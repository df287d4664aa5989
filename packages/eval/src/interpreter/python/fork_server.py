"""Fork server for model-written programs (driven by python-sandbox.ts over stdin/stdout).

Started once per worker, inside bubblewrap where the machine allows it. It imports sympy once,
then forks one child per program, so every program gets a fresh interpreter state (its own
globals, its own process) without paying the sympy import each time.

Protocol: one JSON request per stdin line {"code", "mode": "tora"|"pal", "timeout"}; one JSON
reply per stdout line {"result", "report", "timed_out", "exit_code"}. The first line written
is {"ready": true, ...} once the preloads are done.

The execution semantics mirror the Python math-evaluation harness (python_executor.py): tora
takes the program's stdout, pal evaluates solution(); any exception gives result '' and the
traceback's last line as the report; both are stripped and truncated to 400 characters.
"""
import contextlib
import io
import json
import os
import pickle
import re
import resource
import select
import shutil
import signal
import sys
import time
import traceback

# The harness refuses any program containing `input(` (its exact regex) with a bare RuntimeError.
INPUT_RE = re.compile(r"(\s|^)?input\(")
MAX_REPLY = 1 << 20


def truncate(s, max_length=400):
    half = max_length // 2
    if len(s) > max_length:
        s = s[:half] + "..." + s[-half:]
    return s


class OutputLimitError(Exception):
    pass


class CappedText(io.StringIO):
    """stdout for the program, refusing to grow past `cap` characters (the output cap)."""

    def __init__(self, cap):
        super().__init__()
        self.cap = cap
        self.size = 0
        self.exceeded = False

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError(f"string argument expected, got '{type(s).__name__}'")
        self.size += len(s)
        if self.size > self.cap:
            self.exceeded = True
            raise OutputLimitError(f"the program printed more than {self.cap} characters")
        return super().write(s)


def execute(code, mode, output_cap):
    """(result, report, ok) for one program, in this (already isolated) process."""
    env = {}
    try:
        if INPUT_RE.search(code):
            raise RuntimeError()
        if mode == "tora":
            out = CappedText(output_cap)
            with contextlib.redirect_stdout(out):
                exec(code, env)
            if out.exceeded:  # even if the program caught the error and went on
                raise OutputLimitError(f"the program printed more than {output_cap} characters")
            result = out.getvalue()
        else:
            exec(code, env)
            result = eval("solution()", env)
        report = "Done"
        if mode != "tora":
            str(result)
            pickle.dumps(result)  # the harness's serialization check
    except BaseException:  # the harness's bare except: SystemExit and KeyboardInterrupt included
        result = ""
        report = traceback.format_exc().split("\n")[-2]
    return truncate(str(result).strip()), truncate(str(report).strip()), report == "Done"


def set_limit(res, value):
    """Lower a resource limit to `value` (never above the hard limit we were given)."""
    _, hard = resource.getrlimit(res)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(res, (value, value))


def confine(req, cfg, w, workdir):
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.closerange(3, w)
    os.closerange(w + 1, 1 << 16)
    os.chdir(workdir)
    lim = cfg["limits"]
    set_limit(resource.RLIMIT_CPU, int(req["timeout"]) + 1)
    set_limit(resource.RLIMIT_CORE, 0)
    set_limit(resource.RLIMIT_FSIZE, lim["fsize"])
    set_limit(resource.RLIMIT_AS, lim["address_space"])
    # RLIMIT_NPROC counts every process of the real uid: with a uid of its own, the program's
    # processes only; without one, the user's (so a limit of 1 still forbids any fork). Root
    # outside a user namespace is exempt.
    set_limit(resource.RLIMIT_NPROC, lim["nproc"])
    uid = cfg["uid"]
    if uid >= 0:
        # A uid of its own: the program cannot signal the server or read what only root can.
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)


def child_main(req, cfg, w, workdir):
    try:
        confine(req, cfg, w, workdir)
    except BaseException as e:  # never run a program half-confined
        reply = {"result": "", "report": f"SandboxError: could not confine the program: {e!r}"}
        os.write(w, json.dumps(reply).encode())
        os._exit(70)
    me = os.getpid()
    result, report, ok = execute(req["code"], req["mode"], cfg["limits"]["output"])
    if os.getpid() != me:  # a process the program forked, returning through our frames
        os._exit(0)
    data = json.dumps({"result": result, "report": report}).encode()
    while data:
        data = data[os.write(w, data):]
    os._exit(0 if ok else 1)


def sweep(pid, uid):
    """Kill whatever the program left running, and reap it."""
    if os.getpid() == 1:
        # pid 1 of our own PID namespace: kill(-1) reaches every other process in the sandbox.
        if any(p.isdigit() and p != "1" for p in os.listdir("/proc")):
            with contextlib.suppress(ProcessLookupError):
                os.kill(-1, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            while True:
                os.waitpid(-1, 0)
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    # As a child subreaper we inherit the program's orphans; reap the ones just killed.
    until = time.monotonic() + 0.2
    with contextlib.suppress(ChildProcessError):
        while time.monotonic() < until:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                time.sleep(0.002)


def become_subreaper():
    """Outside a PID namespace, orphans of the programs come back to us instead of to init."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def clear(root, keep):
    """Empty the scratch root (the sandbox's /tmp) so no program sees another's files, except what
    was there at start (e.g. a virtualenv under /tmp, bound read-only)."""
    for name in os.listdir(root):
        if name in keep:
            continue
        path = os.path.join(root, name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.unlink(path)


def run_one(req, cfg, n):
    workdir = os.path.join(cfg["workdir"], f"p{n}")
    os.mkdir(workdir, 0o700)
    if cfg["uid"] >= 0:
        os.chown(workdir, cfg["uid"], cfg["uid"])
    r, w = os.pipe()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            child_main(req, cfg, w, workdir)
        finally:
            os._exit(70)
    os.close(w)
    deadline = start + float(req["timeout"])
    # Wait on the reply pipe and on the child's exit (a pidfd) at once: no polling, no sleeps.
    pidfd = os.pidfd_open(pid)
    chunks, size, eof, status, timed_out = [], 0, False, None, False
    while status is None:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        ready, _, _ = select.select([pidfd] if eof else [r, pidfd], [], [], left)
        if r in ready:
            data = os.read(r, 65536)
            if data:
                size += len(data)
                if size <= MAX_REPLY:
                    chunks.append(data)
            else:
                eof = True
        if pidfd in ready:
            status = os.waitpid(pid, 0)[1]
    os.close(pidfd)
    if status is not None and not eof:
        # The child is gone, but it may have written its reply and something it forked may still
        # hold the pipe open: take what is there without waiting.
        os.set_blocking(r, False)
        with contextlib.suppress(BlockingIOError):
            while size <= MAX_REPLY and (data := os.read(r, 65536)):
                size += len(data)
                chunks.append(data)
    os.close(r)
    if timed_out:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    sweep(pid, cfg["uid"])
    clear(cfg["workdir"], cfg["keep"])
    code = os.waitstatus_to_exitcode(status)
    exit_code = code if code >= 0 else 128 - code
    if timed_out:
        return {"result": "", "report": "Timeout Error", "timed_out": True, "exit_code": exit_code}
    try:
        reply = json.loads(b"".join(chunks)) if size <= MAX_REPLY else None
        result, report = str(reply["result"]), str(reply["report"])
    except Exception:
        how = f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited with code {code}"
        result, report = "", f"SandboxError: the program's process {how} without a result"
    return {"result": result, "report": report, "timed_out": False, "exit_code": exit_code}


def once():
    """No sandbox, no fork: run the request on stdin here (the bare baseline of `pnpm bench interpreter`)."""
    req = json.loads(sys.stdin.read())
    result, report, ok = execute(req["code"], req["mode"], 1 << 20)
    sys.stdout = sys.__stdout__
    print(json.dumps({"result": result, "report": report, "timed_out": False, "exit_code": 0 if ok else 1}))


def main():
    if sys.argv[1] == "--once":
        return once()
    cfg = json.loads(sys.argv[1])
    cfg["keep"] = frozenset(os.listdir(cfg["workdir"]))
    # As pid 1 of its namespace the server only receives signals it handles; handle none.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    if os.getpid() != 1:
        become_subreaper()
    for name in cfg["preload"]:
        with contextlib.suppress(Exception):
            __import__(name)
    out = sys.stdout.buffer

    def send(obj):
        out.write(json.dumps(obj).encode() + b"\n")
        out.flush()

    send({"ready": True, "pid": os.getpid(), "uid": cfg["uid"], "python": sys.version.split()[0]})
    n = 0
    for line in sys.stdin.buffer:
        req = json.loads(line)
        n += 1
        send(run_one(req, cfg, n))


if __name__ == "__main__":
    main()
