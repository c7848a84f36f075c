#!/usr/bin/env python3
"""Fills fuzz/corpus/TARGET with starting inputs taken from the repo's own files.

Run from anywhere: `python3 fuzz/seed.py` (idempotent). The corpora are not
committed (fuzz/.gitignore); fuzz/seeds/ holds the few seeds that cannot be made
from repo files (encoded rulesets for `decode`).
"""
import json
import pathlib
import re

FUZZ = pathlib.Path(__file__).resolve().parent
REPO = FUZZ.parent
CORPUS = FUZZ / "corpus"


def put(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())


# compile: first byte even = TOML, odd = JSON.
rule_files = sorted((REPO / "tests" / "bad-rules").iterdir()) + [REPO / "www" / "tailor.toml"] + sorted((REPO / "tests" / "browser").glob("*.toml"))
for f in rule_files:
    if f.suffix not in (".toml", ".json") or f.stat().st_size > 64 * 1024:
        continue
    put("compile", f"{f.parent.name}-{f.name}", (b"0" if f.suffix == ".toml" else b"1") + f.read_bytes())

# decode: the committed seeds.
for f in sorted((FUZZ / "seeds" / "decode").iterdir()):
    put("decode", f.name, f.read_bytes())

# rewrite: the demo pages and the browser test pages (the structured prefix is
# read from their first bytes; the rest of each file stays the page).
for f in sorted(REPO.glob("www/**/*.html")) + sorted((REPO / "tests" / "browser" / "pages").glob("*.html")):
    put("rewrite", f"{f.parent.name}-{f.name}", f.read_bytes())

# condition: GrowthBook's evalCondition cases, `condition \0 attributes [\0 savedGroups]`.
cases = REPO.parent / "shared" / "conformance" / "growthbook-cases.json"
if cases.exists():
    for i, case in enumerate(json.loads(cases.read_text())["evalCondition"]):
        parts = [json.dumps(case[1]), json.dumps(case[2])]
        if len(case) > 4:
            parts.append(json.dumps(case[4]))
        put("condition", f"gb-{i:03}", "\0".join(parts))

# useragent: the UAs of the classifier's unit tests.
ua_src = (REPO / "src" / "useragent.rs").read_text()
for i, ua in enumerate(sorted(set(re.findall(r'\("(Mozilla/[^"]*|[A-Za-z]+bot[^"]*)"', ua_src)))):
    put("useragent", f"ua-{i:03}", ua)

for t in sorted(p.name for p in CORPUS.iterdir()):
    print(f"{t}: {len(list((CORPUS / t).iterdir()))} seeds")
