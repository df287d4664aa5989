"""Verdicts of the Python math-evaluation-harness on answer pairs, to check the TypeScript grader.

Never run in CI: it needs ZubinGou/math-evaluation-harness and its pinned stack (sympy 1.12,
antlr4 4.11.1's Python runtime, ZubinGou/latex2sympy, akshaynagpal/w2n) on PYTHONPATH; see
"Checking the grader against the Python harness" in the README.

stdin: JSON lines {"pred": ..., "gt": ..., "normalize": bool}; with normalize, both go through
the harness's strip_string first (what `pnpm eval equal` does). stdout: each line with "harness"
added (true, false or "timeout") and the first parse that succeeded for each side.
"""
import json
import signal
import sys

from grader import math_equal  # noqa: E402  (from the harness checkout)
from latex2sympy2 import latex2sympy
from parser import strip_string
from sympy.parsing.latex import parse_latex
from sympy.parsing.sympy_parser import parse_expr

TIMEOUT_S = 10


class Timeout(Exception):
    pass


def on_alarm(*_):
    raise Timeout()


def first_parse(s):
    """The reading grader.symbolic_equal would use: parse_latex, parse_expr, latex2sympy."""
    for f in (parse_latex, parse_expr, latex2sympy):
        for v in (s.replace("\\\\", "\\"), s):
            try:
                return f"{f.__name__}: {f(v)!r}"
            except Timeout:
                raise
            except BaseException:
                pass
    return "unparsed"


def main():
    sys.setrecursionlimit(10000)
    signal.signal(signal.SIGALRM, on_alarm)
    for line in sys.stdin:
        if not line.strip():
            continue
        row = json.loads(line)
        pred, gt = row["pred"], row["gt"]
        if row.get("normalize"):
            pred, gt = strip_string(pred), strip_string(gt)
        signal.alarm(TIMEOUT_S)
        try:
            row["harness"] = math_equal(pred, gt)
            row["parsed"] = [first_parse(pred), first_parse(gt)]
        except Timeout:
            row["harness"] = "timeout"
        finally:
            signal.alarm(0)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
