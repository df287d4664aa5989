"""Derives packages/eval/src/strict/math-verify-cases.json from Math-Verify's own test suite.

Never run in CI: it reads a checkout of huggingface/Math-Verify (its tests/ only; nothing is
imported or executed from it). Every pytest.mark.parametrize case whose test compares a gold and a
predicted string becomes one case, with the options that test passes (match types, precision,
strict, allow_set_relation_comp) and the file and line it came from. Tests that call internals
with mocks (timeouts, raise_on_error) or build sympy objects by hand are left out.

usage: python3 scripts/oracle/math_verify_cases.py <Math-Verify checkout> <commit> > packages/eval/src/strict/math-verify-cases.json
(a bare mirror: git archive HEAD tests | tar -x -C DIR, then pass DIR)
"""
import ast
import json
import math
import sys
from pathlib import Path

root = Path(sys.argv[1])
commit = sys.argv[2]
cases = []

# What compare_strings (tests/test_all.py) and parse()/verify() default to.
COMPARE_DEFAULTS = {"match_types": ["latex", "expr"], "precision": 6, "strict": True, "allow_set_relation_comp": False, "boxed_priority": 0}
PARSE_DEFAULTS = {"match_types": ["latex", "expr"], "precision": 6, "strict": True, "allow_set_relation_comp": False, "boxed_priority": 50}


def value(node):
    # f-strings such as f"{math.sqrt(17):.15f}" are computed; everything else is a literal
    return eval(compile(ast.Expression(node), "<case>", "eval"), {"math": math})


def calls(fn):
    return [n for n in ast.walk(fn) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]


for path in sorted((root / "tests").glob("test_*.py")):
    tree = ast.parse(path.read_text())
    for fn in tree.body:
        if not isinstance(fn, ast.FunctionDef):
            continue
        for dec in fn.decorator_list:
            if not (isinstance(dec, ast.Call) and ast.unparse(dec.func) == "pytest.mark.parametrize"):
                continue
            names = [n.strip() for n in value(dec.args[0]).split(",")]
            names_called = {c.func.id: c for c in calls(fn)}
            if "compare_strings" in names_called:
                call = names_called["compare_strings"]
                base = dict(COMPARE_DEFAULTS)
                fixed = {k.arg: k.value for k in call.keywords}
                kind = "verify"
            elif "verify" in names_called and "parse" in names_called:
                base = dict(PARSE_DEFAULTS)
                fixed = {}
                kind = "verify"
            elif "parse" in names_called and "StringExtractionConfig" not in names:
                base = {"match_types": ["string"], "lowercase": True, "strings": ["A", "B", "C", "D"]}
                fixed = {}
                kind = "extract"
            else:
                continue
            for elt in dec.args[1].elts:
                row = dict(zip(names, elt.elts))
                opts = dict(base)
                for k, node in fixed.items():
                    opts[k] = row[node.id] if isinstance(node, ast.Name) and node.id in row else node
                for k in list(opts):
                    if isinstance(opts[k], ast.AST):
                        opts[k] = value(opts[k])
                src = f"tests/{path.name}:{elt.lineno} ({fn.name})"
                if kind == "verify":
                    exp = value(row.get("expected", row.get("result")))
                    case = {"gold": value(row["gold"]), "pred": value(row["pred"]), "expected": bool(exp), "options": opts, "source": src}
                else:
                    cfg = row["config"]
                    for k in cfg.keywords:
                        opts[k.arg] = value(k.value)
                    case = {"pred": value(row["pred"]), "extracted": value(row["expected"]), "options": opts, "source": src}
                # the options a case passes for itself (strict, allow_set_relation_comp) come through row names
                for k in ("strict", "allow_set_relation_comp", "precision"):
                    if k in row and "options" in case:
                        case["options"][k] = value(row[k])
                cases.append({"kind": kind, **case})

header = {
    "from": "https://github.com/huggingface/Math-Verify",
    "commit": commit,
    "derived_by": "scripts/oracle/math_verify_cases.py",
    "note": "Each case is one pytest.mark.parametrize row of the named test; expected is the verdict that test asserts. "
    "verify cases: parse(gold) and parse(pred) with the test's match types (compare_strings gives LaTeX a boxed priority of 0, "
    "parse()'s default is 50), then verify with its precision, strict and allow_set_relation_comp. "
    "extract cases: parse(pred) with StringExtractionConfig, expected the extracted list. "
    "Left out: tests without parametrize (test_configs, test_precision, test_timeout, test_raise_on_error: mocks or hand-built sympy objects).",
}
print(json.dumps({"header": header, "cases": cases}, indent=1, ensure_ascii=False))
