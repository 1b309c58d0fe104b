#!/usr/bin/env python3
"""logcheck.py - every line of a swi-etl log must be one well-formed event.

  logcheck.py logfmt|json FILE...

logfmt: key=value pairs separated by single spaces; a value is bare (no
space, '=', '"' or control character) or double-quoted with only the escapes
\\" \\\\ \\n \\r \\t \\uXXXX \\xNN inside; the first keys are ts, level, sub, msg.
json: one JSON object per line with ts, level, sub and msg.
Prints the lines that fail and a summary; exits 1 if any failed (or none read).
"""
import json
import re
import sys

BARE = re.compile(r'[^\s="\\\x00-\x1f\x7f]+')
QUOTED = re.compile(r'"(?:[^"\\\x00-\x1f\x7f]|\\["\\nrt]|\\u[0-9a-fA-F]{4}|\\x[0-9a-fA-F]{2})*"')
KEY = re.compile(r'[A-Za-z_][A-Za-z0-9_.-]*')
LEVELS = {"error", "warn", "info", "debug"}


def logfmt(line):
    pos, keys = 0, []
    while pos < len(line):
        m = KEY.match(line, pos)
        if not m or m.end() >= len(line) or line[m.end()] != "=":
            return None, f"no key= at column {pos}"
        keys.append(m.group())
        pos = m.end() + 1
        v = QUOTED.match(line, pos) or BARE.match(line, pos)
        if not v:
            return None, f"bad value for {keys[-1]} at column {pos}"
        pos = v.end()
        if pos < len(line):
            if line[pos] != " ":
                return None, f"junk after {keys[-1]} at column {pos}"
            pos += 1
            if pos == len(line):
                return None, "trailing space"
    return keys, None


def check(fmt, line):
    if fmt == "json":
        try:
            obj = json.loads(line)
        except ValueError as e:
            return f"not JSON: {e}"
        if not isinstance(obj, dict):
            return "not an object"
        missing = [k for k in ("ts", "level", "sub", "msg") if k not in obj]
        if missing:
            return f"missing {missing}"
        if obj["level"] not in LEVELS:
            return f"level {obj['level']!r}"
        return None
    keys, err = logfmt(line)
    if err:
        return err
    if keys[:4] != ["ts", "level", "sub", "msg"]:
        return f"starts with {keys[:4]}"
    return None


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("logfmt", "json"):
        print(__doc__, file=sys.stderr)
        return 2
    fmt, bad, total = sys.argv[1], 0, 0
    for path in sys.argv[2:]:
        with open(path, "rb") as f:
            data = f.read()
        if data and not data.endswith(b"\n"):
            print(f"{path}: does not end with a newline", file=sys.stderr)
            bad += 1
        for n, raw in enumerate(data.split(b"\n")[:-1] if data else [], 1):
            total += 1
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                err = f"not UTF-8: {e}"
            else:
                err = check(fmt, line)
            if err:
                bad += 1
                if bad <= 20:
                    print(f"{path}:{n}: {err}: {raw[:200]!r}", file=sys.stderr)
    print(f"{total} lines, {bad} bad")
    return 1 if bad or total == 0 else 0


sys.exit(main())
