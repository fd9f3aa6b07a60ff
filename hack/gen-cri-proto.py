#!/usr/bin/env python3
"""Writes api/runtime/v1/api.proto from the CRI wire facts in ../shared/cri-wire.

The wire facts (names, numbers, types) are the contract with kubelet and crictl;
generating the proto from them keeps field numbers right by construction.
Run: python3 hack/gen-cri-proto.py [facts.json] > api/runtime/v1/api.proto
"""
import json
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
facts = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "shared", "cri-wire", "runtime-v1.json")
ref = json.load(open(facts))
pkg = ref["package"]

messages = {m["name"]: m for m in ref["messages"]}
enums = {e["name"]: e for e in ref["enums"]}


def local(type_name):
    return type_name.lstrip(".").removeprefix(pkg + ".")


def field_type(f):
    if f["type"] in ("message", "enum"):
        return local(f["type_name"])
    return f["type"]


def render_field(f, indent):
    t = field_type(f)
    if f.get("repeated") and f["type"] == "message" and messages.get(t, {}).get("map_entry"):
        entry = {x["name"]: x for x in messages[t]["fields"]}
        t = f"map<{field_type(entry['key'])}, {field_type(entry['value'])}>"
    elif f.get("repeated"):
        t = "repeated " + t
    return f"{indent}{t} {f['name']} = {f['number']};"


def render_enum(name, e, indent):
    out = [f"{indent}enum {name} {{"]
    for k, v in sorted(e["values"].items(), key=lambda kv: kv[1]):
        out.append(f"{indent}    {k} = {v};")
    out.append(f"{indent}}}")
    return out


def children(prefix):
    return sorted(n for n in list(messages) + list(enums)
                  if n.startswith(prefix + ".") and "." not in n[len(prefix) + 1:])


def render_message(full, indent=""):
    m = messages[full]
    short = full.rsplit(".", 1)[-1]
    out = [f"{indent}message {short} {{"]
    for child in children(full):
        if child in enums:
            out += render_enum(child.rsplit(".", 1)[-1], enums[child], indent + "    ")
        elif not messages[child].get("map_entry"):
            out += render_message(child, indent + "    ")
    for f in sorted(m["fields"], key=lambda f: f["number"]):
        out.append(render_field(f, indent + "    "))
    out.append(f"{indent}}}")
    return out


lines = [
    "// CRI runtime.v1, written for CriRuntime from the wire facts of",
    f"// {ref['source']}.",
    "// Regenerate with hack/gen-cri-proto.py; check with ../shared/tools/check-cri-wire.",
    'syntax = "proto3";',
    "",
    f"package {pkg};",
    'option csharp_namespace = "CriRuntime.Api.V1";',
    "",
]
for s in ref["services"]:
    lines.append(f"service {s['name']} {{")
    for m in s["methods"]:
        stream = "stream " if m.get("server_streaming") else ""
        lines.append(f"    rpc {m['name']}({local(m['input'])}) returns ({stream}{local(m['output'])}) {{}}")
    lines.append("}")
    lines.append("")
for name in sorted(enums):
    if "." not in name:
        lines += render_enum(name, enums[name], "")
        lines.append("")
for name in sorted(messages):
    if "." not in name:
        lines += render_message(name)
        lines.append("")
print("\n".join(lines).rstrip() + "\n", end="")
