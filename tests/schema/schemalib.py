# SPDX-License-Identifier: GPL-2.0-or-later
"""Validation of devown's JSON documents against schema/devown.schema.json (JSON Schema draft
2020-12, python3-jsonschema >= 4.0; Debian 12 has 4.10). For the fixture, apply and vm suites:

    sys.path.insert(0, "<source>/tests/schema")
    import schemalib
    schemalib.validate(doc)            # raises schemalib.Invalid, naming every problem
    problems = schemalib.errors(doc)   # the same as a list of lines ([] when valid)
    schemalib.definition_for(doc)      # "status", "change", "export", "run" or "sriov"

The definition is chosen from the document: a change report has "command" (run and sriov get
their own definitions), export has "entries", status has "kernel". Without python3-jsonschema
errors() reports that as a problem when $CI is set, and otherwise returns [] after one note on
standard error (SKIPPED is then True), so that a developer without it can still run the tests.
$DEVOWN_SCHEMA overrides where the schema is read from (the installed copy, for example)."""

import atexit
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA_PATH = os.environ.get("DEVOWN_SCHEMA") or os.path.join(
    HERE, "..", "..", "schema", "devown.schema.json")
DRAFT = "https://json-schema.org/draft/2020-12/schema"

try:
    import jsonschema
except ImportError:  # reported by errors()
    jsonschema = None

SKIPPED = False
COUNT = {"validated": 0}
_schema = None
_validators = {}


class Invalid(Exception):
    """A document that does not validate; str() lists every problem, one per line."""


def available():
    return jsonschema is not None and hasattr(jsonschema, "Draft202012Validator")


def schema():
    """The schema, read once and checked against the draft's meta-schema."""
    global _schema
    if _schema is None:
        with open(SCHEMA_PATH) as f:
            s = json.load(f)
        if available():
            jsonschema.Draft202012Validator.check_schema(s)
        _schema = s
    return _schema


def definition_for(doc):
    """The name of the $defs entry that describes doc (as the schema's top level chooses it)."""
    if isinstance(doc, dict) and "command" in doc:
        return doc["command"] if doc["command"] in ("run", "sriov") else "change"
    if isinstance(doc, dict) and "entries" in doc:
        return "export"
    return "status"


def _validator(name):
    if name not in _validators:
        s = schema()
        if name is None:
            sub = s
        else:
            if name not in s["$defs"]:
                raise KeyError("the schema has no definition '%s'" % name)
            # The definition with the schema's $defs around it, so that its $refs resolve.
            sub = {"$schema": DRAFT, "$defs": s["$defs"], "$ref": "#/$defs/" + name}
        _validators[name] = jsonschema.Draft202012Validator(sub)
    return _validators[name]


def _where(path):
    return "$" + "".join("[%d]" % p if isinstance(p, int) else ".%s" % p for p in path)


def errors(doc, definition=None, whole=False):
    """Every problem of doc against the definition (default: chosen by definition_for; whole:
    the schema's top level), as lines "PATH: MESSAGE"; [] when valid."""
    global SKIPPED
    if not available():
        if os.environ.get("CI"):
            return ["python3-jsonschema >= 4.0 is not installed (apt-get install "
                    "python3-jsonschema); in CI the schema must be checked"]
        if not SKIPPED:
            print("note: python3-jsonschema is not installed: devown's JSON is not checked "
                  "against the schema", file=sys.stderr)
        SKIPPED = True
        return []
    v = _validator(None if whole else (definition or definition_for(doc)))
    COUNT["validated"] += 1
    out = []
    for e in sorted(v.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path))):
        # The innermost errors say most (additionalProperties names the unknown key).
        leaves = list(_leaves(e))
        for x in leaves:
            out.append("%s: %s" % (_where(x.absolute_path), x.message))
    return out


def _leaves(e):
    if e.context:
        for c in e.context:
            yield from _leaves(c)
    else:
        yield e


def validate(doc, definition=None):
    """Raises Invalid when doc does not validate."""
    problems = errors(doc, definition)
    if problems:
        raise Invalid("%s document does not match %s:\n  %s" % (
            definition or definition_for(doc), os.path.basename(SCHEMA_PATH),
            "\n  ".join(problems[:30])))


@atexit.register
def _report():
    if COUNT["validated"]:
        print("schemalib: %d JSON documents validated against %s" % (
            COUNT["validated"], os.path.basename(SCHEMA_PATH)))
