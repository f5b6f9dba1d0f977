#!/usr/bin/env python3
"""Checks that the build enforces the module map (docs/architecture.md).

usage: module_map.py SOURCE_DIR

Reads every module's CMakeLists.txt (src/*/, providers/, providers/*/) for
add_library, add_executable, orch_add_test and target_link_libraries, and
every `#include "dir/..."` of the module's files, then reports:

  - an include of a module the file's target does not link, directly or
    through PUBLIC dependencies (a header is checked against what the
    library gives its own users, i.e. its PUBLIC dependencies only);
  - a PUBLIC dependency on a module no header of the library includes
    (it belongs under PRIVATE);
  - an include against the map's direction (ALLOWED below, followed
    transitively); test sources are held to their target's links only,
    since a test may use fixtures from src/testing and any lower module.

Exits 1 with one line per problem, 0 when the map holds.
"""

import os
import re
import sys

# The module map: which modules each module's code may include, directly.
# Following it transitively gives everything a module may reach. Keep in
# sync with the table in docs/architecture.md.
ALLOWED = {
    "util": [],
    "env": ["util"],
    "spec": ["util"],
    "model": ["util", "spec"],
    "graph": ["model"],
    "template": ["model"],
    "state": ["model", "env"],
    "plan": ["graph", "state"],
    "http": ["env"],
    "engine": ["plan", "state", "template"],
    "image": ["spec", "state"],
    "testing": ["engine", "env", "model"],
    "cli": ["*"],
    "providers/common": ["http", "engine"],
    "providers/digitalocean": ["providers/common"],
    "providers/gce": ["providers/common"],
    "providers/openstack": ["providers/common"],
    "providers": ["providers/digitalocean", "providers/gce", "providers/openstack"],
}

SOURCE_SUFFIXES = (".h", ".cc")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def cmake_commands(text):
    """(name, [args]) for every command call in a CMake file."""
    text = re.sub(r"#[^\n]*", "", text)
    out = []
    for m in re.finditer(r"\b([A-Za-z_][A-Za-z0-9_]*)\s*\(", text):
        depth, i = 1, m.end()
        while i < len(text) and depth:
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        out.append((m.group(1).lower(), re.findall(r'"[^"]*"|[^\s"]+', text[m.end():i - 1])))
    return out


class Target:
    def __init__(self, name, module, directory, sources, is_test=False):
        self.name, self.module, self.directory = name, module, directory
        self.sources = set(sources)
        self.is_test = is_test
        self.public, self.private = set(), set()


def module_of_dir(root, directory):
    rel = os.path.relpath(directory, root).replace(os.sep, "/")
    if rel.startswith("src/"):
        return rel[len("src/"):]
    return rel  # providers, providers/<name>


def load_targets(root):
    dirs = [os.path.join(root, "src", d) for d in sorted(os.listdir(os.path.join(root, "src")))]
    dirs += [os.path.join(root, "providers")]
    dirs += [os.path.join(root, "providers", d) for d in sorted(os.listdir(os.path.join(root, "providers")))]
    targets, links, provider_libs = {}, [], []
    for d in dirs:
        cml = os.path.join(d, "CMakeLists.txt")
        if not os.path.isfile(cml) or d == os.path.join(root, "src"):
            continue
        module = module_of_dir(root, d)
        for name, args in cmake_commands(read(cml)):
            if name in ("add_library", "add_executable") and args:
                targets[args[0]] = Target(args[0], module, d, [a for a in args[1:] if a.endswith(".cc")])
            elif name == "orch_add_test" and args:
                sources, libs, key = [], [], None
                for a in args[1:]:
                    if a in ("SOURCES", "LIBS"):
                        key = a
                    elif key == "SOURCES":
                        sources.append(a)
                    elif key == "LIBS":
                        libs.append(a)
                targets[args[0]] = Target(args[0], module, d, sources, is_test=True)
                links.append((args[0], [("PRIVATE", lib) for lib in libs]))
            elif name == "target_link_libraries" and args:
                scope, deps = "PUBLIC", []
                for a in args[1:]:
                    if a in ("PUBLIC", "PRIVATE", "INTERFACE"):
                        scope = a
                    else:
                        deps.append((scope, a))
                links.append((args[0], deps))
            elif name == "orch_register_provider" and args:
                provider_libs.append(args[0])
    for target, deps in links:
        for scope, dep in deps:
            for lib in provider_libs if dep == "${libs}" else [dep]:
                if target in targets and lib.startswith("orch_"):
                    (targets[target].private if scope == "PRIVATE" else targets[target].public).add(lib)
    return targets


def public_closure(targets, names):
    """`names` and every target reachable from them through PUBLIC links."""
    seen, todo = set(), list(names)
    while todo:
        n = todo.pop()
        if n in seen or n not in targets:
            continue
        seen.add(n)
        todo.extend(targets[n].public)
    return seen


def allowed_closure(module):
    seen, todo = set(), [module]
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        todo.extend(ALLOWED.get(m, []))
    return seen


def included_module(include, modules):
    """The module an include path names ("providers/common/x.h" ->
    "providers/common"), or None for a system or unknown header."""
    parts = include.split("/")
    if len(parts) > 2 and "/".join(parts[:2]) in modules:
        return "/".join(parts[:2])
    if len(parts) > 1 and parts[0] in modules:
        return parts[0]
    return None


def check(root):
    targets = load_targets(root)
    libraries = {t.module: t for t in targets.values() if not t.is_test and t.name.startswith("orch_")}
    modules = set(libraries)
    problems = []

    for module, lib in sorted(libraries.items()):
        tests = [t for t in targets.values() if t.is_test and t.directory == lib.directory]
        executables = [t for t in targets.values()
                       if not t.is_test and t.directory == lib.directory and t is not lib]
        used_by_headers = set()
        for f in sorted(os.listdir(lib.directory)):
            if not f.endswith(SOURCE_SUFFIXES):
                continue
            rel = os.path.relpath(os.path.join(lib.directory, f), root)
            owner = next((t for t in tests + executables if f in t.sources), None)
            test_header = owner is None and f.endswith(".h") and "test" in f
            if owner is not None:
                reach, who = public_closure(targets, {owner.name} | owner.public | owner.private), owner.name
            elif test_header:
                names = set()
                for t in tests:
                    names |= {t.name} | t.public | t.private
                reach, who = public_closure(targets, names), "the tests of " + module
            elif f.endswith(".h"):
                reach, who = public_closure(targets, {lib.name}), lib.name + " (PUBLIC)"
            else:
                reach, who = public_closure(targets, {lib.name} | lib.private), lib.name
            reach_modules = {targets[n].module for n in reach}
            for m in INCLUDE.finditer(read(os.path.join(lib.directory, f))):
                dep = included_module(m.group(1), modules)
                if dep is None or dep == module:
                    continue
                if f.endswith(".h") and owner is None and not test_header:
                    used_by_headers.add(libraries[dep].name)
                if dep not in reach_modules:
                    problems.append(f"{rel}: includes \"{m.group(1)}\" but {who} does not link "
                                    f"{libraries[dep].name}")
                if owner is None and not test_header and "*" not in ALLOWED.get(module, []) \
                        and dep not in allowed_closure(module):
                    problems.append(f"{rel}: includes \"{m.group(1)}\": {module}/ may not depend on {dep}/ "
                                    f"(module map: {module} -> {', '.join(ALLOWED.get(module, [])) or 'nothing'})")
        # A PUBLIC dependency that the library's headers never include is
        # PRIVATE; one they reach only through another PUBLIC dependency is
        # still needed when included directly, so only unused ones count.
        for dep in sorted(lib.public):
            if dep in targets and targets[dep].module in modules and dep not in used_by_headers:
                problems.append(f"{os.path.relpath(os.path.join(lib.directory, 'CMakeLists.txt'), root)}: "
                                f"{lib.name} links {dep} PUBLIC but none of its headers includes "
                                f"{targets[dep].module}/; make it PRIVATE")
    return problems


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    problems = check(os.path.abspath(sys.argv[1]))
    for p in problems:
        print(p)
    if problems:
        print(f"module_map: {len(problems)} problem(s); see docs/architecture.md")
        return 1
    print("module_map: every include follows the module map and the CMake links")
    return 0


if __name__ == "__main__":
    sys.exit(main())
