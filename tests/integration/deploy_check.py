#!/usr/bin/env python3
"""deploy_check.py - the container stack, checked without a container engine.

  deploy_check.py SRC_DIR METRICS_FILE

- docker-compose.yml parses; for every service its image, published ports,
  healthcheck, volumes, secrets, restart policy, replicas and environment
  names equal the tables of docs/operations.md ("The container stack"), and
  both list the same services;
- every file the stack mounts exists; every secret has a file entry that
  deploy/secrets/make-secrets.sh creates; named volumes are declared;
- the Prometheus and Grafana provisioning files parse; the Grafana dashboard
  parses, every panel has a query, and every swi_* metric that a panel or an
  alert rule uses is a family of the live /metrics in METRICS_FILE.
Prints each mismatch; exits 1 if there is any.
"""
import json
import os
import re
import sys

import yaml

errors = []


def err(msg):
    errors.append(msg)
    print(f"deploy_check: {msg}", file=sys.stderr)


def cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


def code_list(cell):
    """`a`, `b` -> ['a', 'b'] (a cell of code spans)."""
    return re.findall(r"`([^`]*)`", cell)


def doc_tables(md):
    """The two tables under '## The container stack'."""
    sec = md.split("## The container stack", 1)[1].split("\n## ", 1)[0]
    tables, cur = [], None
    for line in sec.splitlines():
        if line.startswith("|"):
            if cur is None:
                cur = []
                tables.append(cur)
            cur.append(cells(line))
        else:
            cur = None
    return tables


def healthcheck_text(hc):
    if not hc:
        return ""
    if hc.get("disable"):
        return "disabled"
    t = hc.get("test")
    if isinstance(t, str):
        return t
    if t[0] == "CMD-SHELL":
        return t[1]
    return " ".join(t[1:]) if t[0] == "CMD" else " ".join(t)


def main():
    src, metrics_file = sys.argv[1], sys.argv[2]
    compose = yaml.safe_load(open(os.path.join(src, "docker-compose.yml")))
    md = open(os.path.join(src, "docs", "operations.md")).read()
    main_t, env_t = doc_tables(md)
    services = compose["services"]

    docs = {}
    for row in main_t[2:]:
        name, image, ports, hc, vols, secrets, restart = row
        replicas = re.search(r"\((\d+) replicas\)", name)
        docs[code_list(name)[0]] = {
            "image": code_list(image)[0], "ports": code_list(ports),
            "healthcheck": "disabled" if hc == "disabled" else (code_list(hc) or [""])[0],
            "volumes": code_list(vols), "secrets": code_list(secrets),
            "restart": code_list(restart)[0], "replicas": int(replicas.group(1)) if replicas else 1,
        }
    envdocs = {code_list(r[0])[0]: code_list(r[1]) for r in env_t[2:]}

    if set(docs) != set(services):
        err(f"services: docs {sorted(docs)} != compose {sorted(services)}")
    if set(envdocs) != set(services):
        err(f"environment table services {sorted(envdocs)} != compose {sorted(services)}")
    for name, s in services.items():
        d = docs.get(name)
        if not d:
            continue
        got = {
            "image": s.get("image", ""), "ports": [str(p) for p in s.get("ports", [])],
            "healthcheck": healthcheck_text(s.get("healthcheck")),
            "volumes": s.get("volumes", []), "secrets": s.get("secrets", []),
            "restart": s.get("restart", ""), "replicas": s.get("deploy", {}).get("replicas", 1),
        }
        for k in got:
            if got[k] != d[k]:
                err(f"{name}: {k}: docs {d[k]!r} != compose {got[k]!r}")
        env = list((s.get("environment") or {}).keys())
        if env != envdocs.get(name, []):
            err(f"{name}: environment: docs {envdocs.get(name)} != compose {env}")
        if "image" not in s:
            err(f"{name}: no image")
        if s.get("build"):
            df = os.path.join(src, s["build"]["context"], s["build"]["dockerfile"])
            if not os.path.exists(df):
                err(f"{name}: no {df}")
        for v in s.get("volumes", []):
            host = v.split(":")[0]
            if host.startswith("./") and not os.path.exists(os.path.join(src, host)):
                err(f"{name}: mounts {host}, which does not exist")
            if not host.startswith(("./", "/")) and host not in (compose.get("volumes") or {}):
                err(f"{name}: volume {host} not declared")
        for sec in s.get("secrets", []):
            if sec not in (compose.get("secrets") or {}):
                err(f"{name}: secret {sec} not declared")
        for dep in (s.get("depends_on") or {}):
            if dep not in services:
                err(f"{name}: depends on unknown {dep}")
        if s.get("restart") not in ("no", "unless-stopped", "always", "on-failure"):
            err(f"{name}: restart policy {s.get('restart')!r}")
    made = open(os.path.join(src, "deploy", "secrets", "make-secrets.sh")).read()
    for sec, spec in (compose.get("secrets") or {}).items():
        f = spec.get("file", "")
        if not f.startswith("./deploy/secrets/"):
            err(f"secret {sec}: {f} is not under deploy/secrets")
        if not re.search(rf"^put {re.escape(os.path.basename(f))} ", made, re.M):
            err(f"secret {sec}: make-secrets.sh does not create {os.path.basename(f)}")

    # the image: two stages on Debian 12, a non-root user, a healthcheck, no secrets in its context
    df = open(os.path.join(src, "deploy", "Dockerfile")).read()
    froms = re.findall(r"^FROM (\S+)", df, re.M)
    if len(froms) < 2 or not all(f.startswith("debian:12") for f in froms):
        err(f"Dockerfile: stages {froms} (want two or more, all debian:12)")
    users = re.findall(r"^USER (\S+)", df, re.M)
    if not users or users[-1].split(":")[0] in ("0", "root"):
        err(f"Dockerfile: runs as {users[-1] if users else 'root'}")
    if not re.search(r"^HEALTHCHECK ", df, re.M):
        err("Dockerfile: no HEALTHCHECK")
    if "cmake --install" not in df:
        err("Dockerfile: does not install with cmake --install")
    ignore = open(os.path.join(src, ".dockerignore")).read().split()
    for must in (".run", "deploy/secrets/*", "build", ".git"):
        if must not in ignore:
            err(f".dockerignore: {must} is not excluded from the build context")

    for f in ("deploy/prometheus/prometheus.yml", "deploy/prometheus/alerts.yml",
              "deploy/grafana/provisioning/datasources/prometheus.yml",
              "deploy/grafana/provisioning/dashboards/swi-stream.yml"):
        yaml.safe_load(open(os.path.join(src, f)))

    families = set(re.findall(r"^# TYPE (\S+) ", open(metrics_file).read(), re.M))

    def family(m):
        if m in families:
            return m
        for suffix in ("_bucket", "_sum", "_count"):
            if m.endswith(suffix) and m[: -len(suffix)] in families:
                return m[: -len(suffix)]
        return None

    dash = json.load(open(os.path.join(src, "deploy/grafana/dashboards/swi-operations.json")))
    used = 0
    for p in dash["panels"]:
        exprs = [t.get("expr", "") for t in p.get("targets", [])]
        if not exprs or not all(exprs):
            err(f"panel {p.get('title')!r}: no query")
        for e in exprs:
            for m in re.findall(r"\bswi_[a-z0-9_]+", e):
                used += 1
                if not family(m):
                    err(f"panel {p.get('title')!r}: {m} is not in /metrics")
    rules = yaml.safe_load(open(os.path.join(src, "deploy/prometheus/alerts.yml")))
    for g in rules["groups"]:
        for r in g["rules"]:
            for m in re.findall(r"\bswi_[a-z0-9_]+", r["expr"]):
                used += 1
                if not family(m):
                    err(f"alert {r['alert']}: {m} is not in /metrics")
    if used == 0 or not families:
        err("no metric checked")
    print(f"{len(services)} services, {len(dash['panels'])} panels, {used} metric uses, "
          f"{len(families)} families; {len(errors)} problems")
    return 1 if errors else 0


sys.exit(main())
