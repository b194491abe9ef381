"""Random small templates rendered by Python Jinja2 under transformers' settings (reference.py's environment):
a differential check of the C# interpreter on combinations no hand-written case covers. Seeded, so the
output (fuzz.json) is reproducible:  python3 fuzz.py"""
import copy
import json
import random

from reference import env

import os
rng = random.Random(int(os.environ.get("FUZZ_SEED", "20261201")))

VARIABLES = {
    "s": "  Hello, Wörld! \n",
    "t": "a<think>b</think>c",
    "e": "",
    "u": "日本😀x",
    "n": 3,
    "z": 0,
    "neg": -7,
    "f": 2.5,
    "g": 0.1,
    "b": True,
    "nb": False,
    "nil": None,
    "xs": [3, 1, 2],
    "ws": ["b", "A", "c"],
    "empty": [],
    "d": {"role": "user", "content": " hi ", "n": 2},
    "msgs": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi  "},
        {"role": "assistant", "content": "Hello", "tool_calls": [{"function": {"name": "f", "arguments": {"x": 1, "y": [1.5, None]}}}]},
        {"role": "user", "content": [{"type": "text", "text": "part"}]},
    ],
}
NAMES = list(VARIABLES) + ["missing"]
# select/reject/map/items return generators in Python: lazily evaluated, so they are always consumed here.
FILTERS = ["trim", "upper", "lower", "capitalize", "title", "length", "first", "last", "string", "int", "float", "list",
           "tojson", "join", "join(', ')", "default('dflt')", "default('d', true)", "replace('l', 'L')", "reverse", "sort",
           "unique", "sum", "max", "min", "abs", "round", "round(1)", "indent(2)", "items | list", "map(attribute='role') | list",
           "selectattr('role', 'equalto', 'user') | list", "rejectattr('role', 'eq', 'user') | list", "select('odd') | list", "count",
           "wordcount", "center(9)", "tojson(indent=1)", "dictsort", "batch(2) | list"]
# escape/safe are left out: they make Markup strings, whose escaping on + and % this port does not model.
TESTS = ["defined", "undefined", "none", "string", "number", "integer", "float", "mapping", "iterable", "sequence",
         "true", "false", "boolean", "odd", "even", "divisibleby(2)", "in(['a', 3])", "callable", "lower", "upper"]
METHODS = ["strip()", "lstrip()", "rstrip()", "split()", "split(',')", "upper()", "lower()", "title()", "startswith('He')",
           "endswith('\\n')", "replace('l', '_')", "split('</think>')", "strip('\\n ')", "capitalize()", "count('l')",
           "find('o')", "items()", "keys()", "values()", "get('role')", "get('nope', 7)", "splitlines()"]
LITERALS = ["0", "1", "2", "-1", "1.5", "'x'", "'a b'", "\"q\"", "none", "true", "false", "[]", "[1, 'a']", "{'k': 1}", "(1, 2)"]
OPS = ["+", "-", "*", "/", "//", "%", "~", "==", "!=", "<", ">", "<=", ">=", "and", "or", "in", "not in"]


def expr(depth=0):
    roll = rng.random()
    if depth > 2 or roll < 0.25:
        return rng.choice(NAMES) if rng.random() < 0.6 else rng.choice(LITERALS)
    if roll < 0.40:
        return f"{expr(depth + 1)} | {rng.choice(FILTERS)}"
    if roll < 0.50:
        return f"{expr(depth + 1)} is {'not ' if rng.random() < 0.3 else ''}{rng.choice(TESTS)}"
    if roll < 0.60:
        return f"{rng.choice(['s', 't', 'e', 'u', 'd', 'missing'])}.{rng.choice(METHODS)}"
    if roll < 0.70:
        return f"({expr(depth + 1)} {rng.choice(OPS)} {expr(depth + 1)})"
    if roll < 0.76:
        return f"not {expr(depth + 1)}"
    if roll < 0.84:
        lo, hi, st = (rng.choice(["", "1", "-1", "2", "-2", "0"]) for _ in range(3))
        return f"{rng.choice(['xs', 'ws', 's', 'u', 'msgs', 'e', 'empty'])}[{lo}:{hi}{':' + st if st and st != '0' else ''}]"
    if roll < 0.90:
        return f"{rng.choice(['xs', 'msgs', 'd', 's', 'u', 'ws'])}[{rng.choice(['0', '-1', '1', '5', repr('role'), repr('content')])}]"
    if roll < 0.95:
        return f"({expr(depth + 1)} if {expr(depth + 1)} else {expr(depth + 1)})"
    return f"msgs[{rng.randrange(4)}].{rng.choice(['role', 'content', 'tool_calls', 'nope'])}"


TEXTS = ["", " ", "\n", "  \n", "\n  ", "\t", "x", "x\n", " y ", "\n\n", "a\n    "]


def marker():
    return rng.choice(["", "", "", "-", "+"])


STATEMENTS = [
    lambda d, l, r: f"{{#{l} note {r}#}}{rng.choice(TEXTS)}",
    lambda d, l, r: f"{{%{l} set ns{d} = namespace(acc='', n=0) {r}%}}{{% for item in {rng.choice(['xs', 'ws', 'msgs', 's'])} %}}"
                    f"{{% set ns{d}.acc = ns{d}.acc ~ {rng.choice(['item', 'loop.index', 'loop.revindex', 'loop.length', 'loop.previtem', 'loop.nextitem'])} %}}"
                    f"{{% set ns{d}.n = ns{d}.n + 1 %}}{{% endfor %}}{{{{ ns{d}.acc }}}}/{{{{ ns{d}.n }}}}",
    lambda d, l, r: f"{{%{l} macro m{d}(a, b='{rng.choice(TEXTS)}') {r}%}}[{{{{ a }}}}{rng.choice(TEXTS)}{{{{ b }}}}]{{%{marker()} endmacro {marker()}%}}"
                    f"{{{{ m{d}({expr()}) }}}}{rng.choice(TEXTS)}{{{{ m{d}({expr()}, b={expr()}) }}}}",
    lambda d, l, r: f"{{%{l} set c{d} {r}%}}{rng.choice(TEXTS)}{{{{ {expr()} }}}}{rng.choice(TEXTS)}{{%{marker()} endset {marker()}%}}[{{{{ c{d} }}}}]",
    lambda d, l, r: f"{{%{l} for item in {rng.choice(['xs', 'msgs', 'ws', 'empty', 'missing'])} if {expr()} {r}%}}{{{{ loop.index }}}}{{{{ item }}}}"
                    f"{{% if loop.index > 1 %}}{{% {rng.choice(['break', 'continue'])} %}}{{% endif %}}{{%{marker()} else {marker()}%}}none{{% endfor %}}",
    lambda d, l, r: f"{{%{l} raw {r}%}}{rng.choice(TEXTS)}{{{{ raw }}}}{rng.choice(TEXTS)}{{%{marker()} endraw {marker()}%}}",
    lambda d, l, r: f"{{%{l} filter {rng.choice(['upper', 'trim', 'title', 'capitalize'])} {r}%}}{rng.choice(TEXTS)}{{{{ {expr()} }}}}{rng.choice(TEXTS)}{{% endfilter %}}",
]


def block(depth=0):
    parts = []
    for _ in range(rng.randint(1, 3)):
        parts.append(rng.choice(TEXTS))
        roll = rng.random()
        l, r = marker(), marker()
        lv, rv = rng.choice(["", "", "-"]), rng.choice(["", "", "-"])
        if depth > 1 or roll < 0.45:
            parts.append(f"{{{{{lv} {expr()} {rv}}}}}")
        elif roll < 0.65:
            parts.append(f"{{%{l} if {expr()} {r}%}}{block(depth + 1)}{{%{marker()} else {marker()}%}}{block(depth + 1)}{{%{marker()} endif {marker()}%}}")
        elif roll < 0.85:
            seq = rng.choice(["xs", "msgs", "ws", "s", "d", "empty", "missing", "range(3)", "d.items()"])
            target = "k, v" if seq == "d.items()" else "item"
            body = f"{{{{ loop.index }}}}:{{{{ {target.split(',')[0]} }}}}{rng.choice(['', '{{ loop.last }}', '{% if loop.first %}F{% endif %}'])}"
            parts.append(f"{{%{l} for {target} in {seq} {r}%}}{rng.choice(TEXTS)}{body}{block(depth + 1)}{{%{marker()} endfor {marker()}%}}")
        elif roll < 0.90:
            parts.append(f"{{%{l} set v{depth} = {expr()} {r}%}}{rng.choice(TEXTS)}{{{{ v{depth} }}}}")
        else:
            parts.append(rng.choice(STATEMENTS)(depth, l, r))
        parts.append(rng.choice(TEXTS))
    return "".join(parts)


# Python objects a template can print but no template means to (generators, dict views, ranges print their
# type and address): cases printing one are dropped, the port prints these as lists.
OPAQUE = ("<generator", " at 0x", "dict_items(", "dict_keys(", "dict_values(", "range(", "<list_reverseiterator", "<jinja2.")


def render(source):
    try:
        return {"expected": env.from_string(source).render(**copy.deepcopy(VARIABLES))}
    except Exception as ex:  # any failure: the port must fail too
        return {"error": f"{type(ex).__name__}: {ex}"}


cases = []
while len(cases) < int(os.environ.get("FUZZ_COUNT", "1000")):
    src = block()
    result = render(src)
    if any(marker in result.get("expected", "").lower() for marker in OPAQUE):
        continue
    cases.append(dict(template=src, **result))
json.dump({"variables": VARIABLES, "cases": cases}, open("fuzz.json", "w", encoding="utf-8"), ensure_ascii=False, indent=0)
print(f"{len(cases)} cases, {sum('error' in c for c in cases)} failing in Python")
