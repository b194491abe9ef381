"""Step 2 of 2 of the chat-template fixtures (step 1: generate.mjs). Never run by CI.

Renders every case with Python Jinja2 (pip: jinja2==3.1.6) configured exactly as transformers'
apply_chat_template configures it (transformers/utils/chat_template_utils.py): an ImmutableSandboxedEnvironment
with trim_blocks and lstrip_blocks, the loopcontrols extension, a {% generation %} tag that renders its body,
tojson as json.dumps(ensure_ascii=False, ...), and the globals raise_exception and strftime_now.
Writes cases.json (what the tests check) and features.json (small templates for single Jinja features), and
records for each case whether @huggingface/jinja (hf-jinja.json) gave the same text.
"""
import datetime
import json

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.sandbox import ImmutableSandboxedEnvironment

FIXED_NOW = datetime.datetime(2024, 7, 26, 9, 5, 3)  # the clock the C# tests inject


class GenerationTag(Extension):
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_render", []), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(fmt):
    return FIXED_NOW.strftime(fmt)


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[GenerationTag, jinja2.ext.loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
env.globals["strftime_now"] = strftime_now


def variables_for(tokens, conversation, add_generation_prompt):
    v = {"messages": conversation["messages"], "tools": conversation.get("tools"), "documents": None,
         "add_generation_prompt": add_generation_prompt}
    for key in ("bos_token", "eos_token", "pad_token", "unk_token"):
        if tokens.get(key) is not None:
            v[key] = tokens[key]
    v.update(conversation.get("variables", {}))
    return v


def render(source, variables):
    try:
        return {"expected": env.from_string(source).render(**variables)}
    except jinja2.exceptions.TemplateSyntaxError as e:
        return {"error": "syntax", "message": e.message, "line": e.lineno}
    except jinja2.exceptions.TemplateError as e:
        kind = "raised" if type(e) is jinja2.exceptions.TemplateError else "runtime"
        return {"error": kind, "message": str(e)}
    except Exception as e:  # TypeError and friends surface as runtime errors in the C# port
        return {"error": "runtime", "message": f"{type(e).__name__}: {e}"}


def main():
    templates = json.load(open("templates.json", encoding="utf-8"))
    conversations = json.load(open("conversations.json", encoding="utf-8"))
    hf_all = json.load(open("hf-jinja.json", encoding="utf-8"))
    hf = {(r["template"], r["conversation"], r["add_generation_prompt"]): r for r in hf_all["cases"]}
    hf_features = {r["name"]: r for r in hf_all["features"]}
    cases, disagreements = [], 0
    for template_name, tokens in templates.items():
        source = open(f"templates/{template_name}.jinja", encoding="utf-8").read()
        for conversation_name, conversation in conversations.items():
            for agp in (False, True):
                case = {"template": template_name, "conversation": conversation_name, "add_generation_prompt": agp}
                case.update(render(source, variables_for(tokens, conversation, agp)))
                js = hf[(template_name, conversation_name, agp)]
                if "expected" in case:
                    case["hf_jinja_agrees"] = js["output"] == case["expected"]
                else:
                    case["hf_jinja_agrees"] = js["output"] is None
                disagreements += not case["hf_jinja_agrees"]
                cases.append(case)
    json.dump(cases, open("cases.json", "w", encoding="utf-8"), ensure_ascii=False, indent=1)
    print(f"{len(cases)} cases written to cases.json; @huggingface/jinja disagrees on {disagreements}")

    features = json.load(open("features.in.json", encoding="utf-8"))
    out = []
    for f in features:
        result = {"name": f["name"], "template": f["template"], "variables": f.get("variables", {})}
        result.update(render(f["template"], f.get("variables", {})))
        js = hf_features.get(f["name"])
        if js is not None:
            result["hf_jinja_agrees"] = js["output"] == result["expected"] if "expected" in result else js["output"] is None
        out.append(result)
    json.dump(out, open("features.json", "w", encoding="utf-8"), ensure_ascii=False, indent=1)
    print(f"{len(out)} feature cases written to features.json; @huggingface/jinja disagrees on "
          f"{sum(not r.get('hf_jinja_agrees', True) for r in out)}: {[r['name'] for r in out if not r.get('hf_jinja_agrees', True)]}")


if __name__ == "__main__":
    main()
