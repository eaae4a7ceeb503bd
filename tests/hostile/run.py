# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile-input harness: runs the cases of tests/hostile/cases/ on real systemd test
nodes through playbooks/diagnose.yml and playbooks/fix_pull.yml.

For every case it asserts:
  expect     the finding ids and/or output substrings the case declares (naming the file
             and, where there is one, the line) appear for its host;
  crash      no traceback and no MODULE FAILURE in either playbook's output for its host;
  files      the watched trees are byte-identical afterwards (sha256, mode, type), except
             the paths the case says a valid fix may change (diagnose: no exception at all);
  cri        containerd still answers CRI Version (kubenode.pullfix.cri_pull, ad hoc);
  canary     the case's canary never appears in the output, in the reports, or in a node
             file other than those the case says must hold it (which must be 0600).

Cases run in waves: one case per node, every node in one ansible-playbook run per
playbook; between waves every node is reset from a snapshot taken at start and the reset
is verified. See tests/hostile/README.md.
"""

import argparse
import base64
import concurrent.futures
import fnmatch
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time

try:
    import yaml
except ImportError:  # run through `make hostile`, which uses the project's virtualenv
    sys.stderr.write("run.py needs PyYAML: run it with `make hostile` (the project's .venv)\n")
    sys.exit(2)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
HELPER_DIR = "/var/lib/hostile-harness"
HELPER = HELPER_DIR + "/node_helper.py"
CRI_LIB = HELPER_DIR + "/lib/ansible_collections/kubenode/pullfix/plugins/module_utils"
ENDPOINT = "unix:///run/containerd/containerd.sock"
PLATFORMS = ("debian12", "debian13")
# HOSTILE_PREFIX names the nodes (docker containers): runs from different checkouts must not share names.
PREFIX = os.environ.get("HOSTILE_PREFIX", "hostile-")
CRASH_MARKERS = (
    "Traceback (most recent call last)", "MODULE FAILURE", "MODULE_FAILURE",
    "An exception occurred during task execution", "Unexpected failure during module execution",
)
CASE_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
CASE_KEYS = {"name", "about", "platform", "files", "commands", "vars", "canary_files", "may_change",
             "expect", "slow", "timeout", "consistent_eol", "all_or_nothing", "generate_vars"}
FILE_KEYS = {"path", "kind", "content", "base64", "generate", "mode", "target"}
KINDS = {"file", "directory", "fifo", "symlink", "dangling_symlink", "symlink_loop", "readonly_mount", "absent"}
EXPECT_KEYS = {"findings", "no_findings", "output", "report"}
FINDING_KEYS = {"id", "mentions"}
DEFAULT_TIMEOUT = 600
RESTART_TIMEOUT = 20
MEMORY_LIMIT = 3 << 30


# Set on SIGTERM/SIGINT: every lane stops, every child process is killed, nodes are removed.
STOP = threading.Event()


class HarnessError(Exception):
    """Bad input or a broken fixture: reported in one line, never as a traceback."""


# --------------------------------------------------------------------------- cases

def _where(source, case, key=None):
    name = case.get("name") if isinstance(case, dict) else None
    return "%s: case %s%s" % (source, name or "?", (" key %s" % key) if key else "")


def _check_str_list(value, where, what):
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise HarnessError("%s: expected a list of strings (%s), got %s" % (where, what, type(value).__name__))


def validate_case(case, source, defaults):
    if not isinstance(case, dict):
        raise HarnessError("%s: every entry of cases must be a mapping, got %s" % (source, type(case).__name__))
    merged = dict(defaults)
    merged.update(case)
    case = merged
    unknown = set(case) - CASE_KEYS
    if unknown:
        raise HarnessError("%s: unknown keys %s (expected some of %s)"
                           % (_where(source, case), ", ".join(sorted(unknown)), ", ".join(sorted(CASE_KEYS))))
    name = case.get("name")
    if not isinstance(name, str) or not CASE_NAME_RE.match(name):
        raise HarnessError("%s: name must be lower-case letters, digits and dashes (got %r)" % (source, name))
    platform = case.setdefault("platform", "any")
    if platform not in PLATFORMS + ("any",):
        raise HarnessError("%s: platform must be one of %s or any" % (_where(source, case, "platform"), ", ".join(PLATFORMS)))
    files = case.setdefault("files", [])
    if not isinstance(files, list):
        raise HarnessError("%s: expected a list of files" % _where(source, case, "files"))
    for item in files:
        if not isinstance(item, dict) or not isinstance(item.get("path"), str) or not item["path"].startswith("/"):
            raise HarnessError("%s: every file needs an absolute path (got %r)" % (_where(source, case, "files"), item))
        extra = set(item) - FILE_KEYS
        if extra:
            raise HarnessError("%s: unknown keys %s for %s (expected some of %s)"
                               % (_where(source, case, "files"), ", ".join(sorted(extra)), item["path"],
                                  ", ".join(sorted(FILE_KEYS))))
        kind = item.setdefault("kind", "file")
        if kind not in KINDS:
            raise HarnessError("%s: kind %r of %s is not one of %s"
                               % (_where(source, case, "files"), kind, item["path"], ", ".join(sorted(KINDS))))
        if "mode" in item and not re.match(r"^0?[0-7]{3,4}$", str(item["mode"])):
            raise HarnessError("%s: mode %r of %s must be octal in quotes, e.g. \"0600\""
                               % (_where(source, case, "files"), item["mode"], item["path"]))
        for key in ("content", "base64", "target"):
            if key in item and not isinstance(item[key], str):
                raise HarnessError("%s: %s of %s must be a string (got %s)"
                                   % (_where(source, case, "files"), key, item["path"], type(item[key]).__name__))
        if "base64" in item:
            try:
                base64.b64decode(item["base64"], validate=True)
            except (ValueError, TypeError) as exc:
                raise HarnessError("%s: base64 of %s is not valid: %s" % (_where(source, case, "files"), item["path"], exc))
        gen = item.get("generate")
        if gen is not None and (not isinstance(gen, dict) or not isinstance(gen.get("size"), int)
                                or set(gen) - {"size", "head", "filler", "tail"}
                                or not all(isinstance(gen.get(k, ""), str) for k in ("head", "filler", "tail"))):
            raise HarnessError("%s: generate of %s needs an integer size (and optional head, filler, tail)"
                               % (_where(source, case, "files"), item["path"]))
        if sum(k in item for k in ("content", "base64", "generate")) > 1:
            raise HarnessError("%s: %s has more than one of content, base64, generate" % (_where(source, case, "files"), item["path"]))
    commands = case.setdefault("commands", [])
    if not isinstance(commands, list) or not all(isinstance(c, list) and c and all(isinstance(a, str) for a in c)
                                                 for c in commands):
        raise HarnessError("%s: expected a list of argv lists, e.g. [[systemctl, restart, containerd]]"
                           % _where(source, case, "commands"))
    if not isinstance(case.setdefault("vars", {}), dict):
        raise HarnessError("%s: expected a mapping of variables" % _where(source, case, "vars"))
    case["vars"] = dict(case["vars"])
    for var, gen in (case.get("generate_vars") or {}).items():
        # {var: {count: N, key: "reg-{i:05d}.example.com", value: {...}}}: a mapping of N entries
        if not isinstance(gen, dict) or not isinstance(gen.get("count"), int) or not isinstance(gen.get("key"), str):
            raise HarnessError("%s: expected {count: N, key: <format with {i}>, value: <any>}"
                               % _where(source, case, "generate_vars." + str(var)))
        try:
            case["vars"][var] = {gen["key"].format(i=i): gen.get("value") for i in range(gen["count"])}
        except (KeyError, IndexError, ValueError) as exc:
            raise HarnessError("%s: key %r is not a format with {i}: %s"
                               % (_where(source, case, "generate_vars." + str(var)), gen["key"], exc))
    for key in ("canary_files", "may_change"):
        _check_str_list(case.setdefault(key, []), _where(source, case, key), "absolute paths or globs")
    expect = case.get("expect")
    if not isinstance(expect, dict) or not expect:
        raise HarnessError("%s: every case declares what it expects (diagnose and/or fix_pull)" % _where(source, case, "expect"))
    for playbook in expect:
        if playbook not in ("diagnose", "fix_pull"):
            raise HarnessError("%s: expected diagnose or fix_pull, got %r" % (_where(source, case, "expect"), playbook))
        spec = expect[playbook] or {}
        if not isinstance(spec, dict) or set(spec) - EXPECT_KEYS or not spec:
            raise HarnessError("%s: expect.%s takes some of %s"
                               % (_where(source, case, "expect"), playbook, ", ".join(sorted(EXPECT_KEYS))))
        findings = []
        for item in spec.get("findings", []):
            if isinstance(item, str):
                item = {"id": item}
            if not isinstance(item, dict) or not isinstance(item.get("id"), str) or set(item) - FINDING_KEYS:
                raise HarnessError("%s: a finding is an id or {id, mentions}" % _where(source, case, "expect." + playbook))
            _check_str_list(item.setdefault("mentions", []), _where(source, case, "expect." + playbook), "mentions")
            findings.append(item)
        spec["findings"] = findings
        for key in ("output", "report", "no_findings"):
            _check_str_list(spec.setdefault(key, []), _where(source, case, "expect." + playbook), key)
        expect[playbook] = spec
    if not isinstance(case.setdefault("timeout", DEFAULT_TIMEOUT), int):
        raise HarnessError("%s: expected seconds as an integer" % _where(source, case, "timeout"))
    case.setdefault("slow", False)
    _check_str_list(case.setdefault("consistent_eol", []), _where(source, case, "consistent_eol"), "paths")
    whole = case.setdefault("all_or_nothing", None)
    if whole is not None and (not isinstance(whole, dict) or not isinstance(whole.get("glob"), str)
                              or not isinstance(whole.get("count"), int) or set(whole) - {"glob", "count"}):
        raise HarnessError("%s: expected {glob: <pattern>, count: <files when fully applied>}"
                           % _where(source, case, "all_or_nothing"))
    case.setdefault("about", "")
    case["source"] = source
    case["canary"] = "CANARY-s3cr3t-" + name
    return _substitute(case, case["canary"])


def _substitute(value, canary):
    """Replace @CANARY@ everywhere in a case (file contents, vars, expectations)."""
    if isinstance(value, str):
        return value.replace("@CANARY@", canary)
    if isinstance(value, list):
        return [_substitute(v, canary) for v in value]
    if isinstance(value, dict):
        return {_substitute(k, canary): _substitute(v, canary) for k, v in value.items()}
    return value


def load_cases(paths, only):
    cases = []
    files = []
    for path in paths:
        if os.path.isdir(path):
            files.extend(sorted(os.path.join(path, f) for f in os.listdir(path) if f.endswith((".yml", ".yaml"))))
        elif os.path.isfile(path):
            files.append(path)
        else:
            raise HarnessError("%s: no such case file or directory" % path)
    for path in files:
        source = os.path.relpath(path, ROOT) if os.path.abspath(path).startswith(ROOT + os.sep) else path
        try:
            with open(path, encoding="utf-8") as handle:
                data = yaml.safe_load(handle)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = " line %d column %d" % (mark.line + 1, mark.column + 1) if mark else ""
            raise HarnessError("%s%s: not valid YAML: %s" % (source, where, getattr(exc, "problem", None) or exc))
        except (OSError, UnicodeDecodeError) as exc:
            raise HarnessError("%s: cannot be read: %s" % (source, exc))
        if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
            raise HarnessError("%s: expected a mapping with a list under 'cases' (and optional 'defaults')" % source)
        defaults = data.get("defaults") or {}
        if not isinstance(defaults, dict):
            raise HarnessError("%s: defaults must be a mapping" % source)
        for case in data["cases"]:
            cases.append(validate_case(case, source, defaults))
    seen = {}
    for case in cases:
        if case["name"] in seen:
            raise HarnessError("%s: case %s is already defined in %s" % (case["source"], case["name"], seen[case["name"]]))
        seen[case["name"]] = case["source"]
    if only:
        cases = [c for c in cases if any(fnmatch.fnmatch(c["name"], pat) for pat in only)]
        if not cases:
            raise HarnessError("no case matches %s" % ", ".join(only))
    return cases


# --------------------------------------------------------------------------- nodes

def _limit_memory():
    # An alias bomb or 10,000 mirrors must not take the shared machine down with it:
    # each process gets at most MEMORY_LIMIT of address space (a MemoryError instead).
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def sh(argv, timeout=600, stdin=None, env=None, limit=False):
    """Run argv; returns (rc, output). Never raises for the program's failure."""
    try:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                                env=env, start_new_session=True, preexec_fn=_limit_memory if limit else None)
    except OSError as exc:
        return 127, "%s: %s" % (argv[0], exc)
    chunks = []
    reader = threading.Thread(target=lambda: chunks.append(proc.stdout.read()), daemon=True)
    try:
        if stdin is not None:
            proc.stdin.write(stdin.encode("utf-8"))
            proc.stdin.close()
        reader.start()
        deadline = time.monotonic() + timeout
        while proc.poll() is None:
            if STOP.is_set():
                raise KeyboardInterrupt("stopping")
            if time.monotonic() > deadline:
                _kill(proc)
                reader.join(10)
                out = b"".join(chunks)
                return 124, out.decode("utf-8", "replace") + "\n[harness] timed out after %d s\n" % timeout
            time.sleep(0.2)
        reader.join()
        out = b"".join(chunks)
    except BaseException:  # interrupted: take the child and everything below it down with us
        _kill(proc)
        raise
    return proc.returncode, out.decode("utf-8", "replace")


def _descendants(pid):
    """PIDs below pid (ansible's workers start their own sessions, so a group kill misses them)."""
    parents = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open("/proc/%s/stat" % name) as handle:
                    data = handle.read()
                parents[int(name)] = int(data[data.rindex(")") + 2:].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in found:
                found.append(child)
                todo.append(child)
    return found


def _kill(proc):
    victims = _descendants(proc.pid)
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass
    for pid in victims:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def helper(node, verb, request=None, timeout=300):
    rc, out = sh(["docker", "exec", "-i", node, "python3", HELPER, verb], timeout=timeout,
                 stdin=json.dumps(request or {}))
    try:
        answer = json.loads(out)
    except ValueError:
        return {"error": "node helper %s on %s exited %s: %s" % (verb, node, rc, out.strip()[-800:])}
    return answer if isinstance(answer, dict) else {"error": "node helper answered %r" % (answer,)}


def ansible_env(forks):
    env = dict(os.environ)
    collections = os.path.join(ROOT, ".build", "collections")
    env.update({
        # This checkout, through the link `make venv` creates, whatever is installed elsewhere.
        "ANSIBLE_COLLECTIONS_PATH": collections,
        "ANSIBLE_PYTHON_INTERPRETER": "auto_silent",
        "ANSIBLE_FORKS": str(forks),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_CALLBACK_RESULT_FORMAT": "json",
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
        "ANSIBLE_STDOUT_CALLBACK": "default",
        # One `docker exec` per module instead of put/exec/remove: the same modules, less waiting.
        "ANSIBLE_PIPELINING": "1",
    })
    return env


def platform_spec(nodes):
    return json.dumps({"molecule_yml": {"platforms": [{"name": n, "image": "pullfix-node:" + p} for n, p in nodes]}})


def start_nodes(nodes, log):
    existing = [n for n, dummy in nodes if sh(["docker", "inspect", "--format", "x", n])[0] == 0]
    if existing:
        sh(["docker", "rm", "-f"] + existing)
    rc, out = sh([_bin("ansible-playbook"), os.path.join(HERE, "up.yml"), "-e", platform_spec(nodes)],
                 env=ansible_env(len(nodes)), timeout=600)
    log.write(out)
    if rc != 0:
        raise HarnessError("starting the nodes failed (see %s):\n%s" % (log.name, out[-2000:]))
    plugin_dir = os.path.join(ROOT, "plugins", "module_utils")

    def prepare(node):
        steps = [["docker", "exec", node, "mkdir", "-p", CRI_LIB],
                 ["docker", "cp", os.path.join(HERE, "node_helper.py"), node + ":" + HELPER],
                 ["docker", "cp", os.path.join(plugin_dir, "_cri.py"), node + ":" + CRI_LIB + "/"],
                 ["docker", "cp", os.path.join(plugin_dir, "_hpack.py"), node + ":" + CRI_LIB + "/"]]
        for argv in steps:
            rc, out = sh(argv)
            if rc != 0:
                return "%s: %s" % (" ".join(argv), out.strip())
        answer = helper(node, "snapshot")
        if answer.get("error"):  # once more: on a loaded machine a docker exec can die on its own
            answer = helper(node, "snapshot")
        if answer.get("error"):
            return answer["error"]
        if not answer.get("cri", {}).get("ok"):
            return "CRI Version does not answer on the fresh node: %s" % answer.get("cri")
        return None

    with concurrent.futures.ThreadPoolExecutor(len(nodes)) as pool:
        for (node, dummy), problem in zip(nodes, pool.map(prepare, [n for n, dummy in nodes])):
            if problem:
                raise HarnessError("preparing %s failed: %s" % (node, problem))


def stop_nodes(nodes):
    sh(["docker", "rm", "-f"] + [n for n, dummy in nodes], timeout=120)


def _bin(name):
    local = os.path.join(os.path.dirname(sys.executable), name)
    return local if os.path.exists(local) else name


# --------------------------------------------------------------------------- output

HOST_LINE_RE = re.compile(r"^(?:ok|changed|fatal|failed|skipping|included|unreachable|rescued|ignored)"
                          r"(?::)? \[([^\]\s]+?)(?: -> [^\]]+)?\]")
INCLUDED_RE = re.compile(r"^included: .* for (.+)$")
TASK_RE = re.compile(r"^(TASK|RUNNING HANDLER|PLAY|PLAY RECAP) \[")


def split_by_host(text, hosts):
    """Attribute ansible-playbook output to hosts: {host: [lines]}, plus "*" for the rest.

    A result block starts with `ok: [host]`, `fatal: [host]`, ... and runs until the next
    block. Lines that name no host (`[ERROR]: ...`, `[WARNING]: ...`) go to the host of the
    next result of the same task, or to every host when the task ends without one."""
    out = {h: [] for h in hosts}
    out["*"] = []
    pending = []
    current = None
    for line in text.splitlines():
        if TASK_RE.match(line):
            if pending:
                for h in hosts:
                    out[h].extend(pending)
                pending = []
            current = None
            continue
        match = HOST_LINE_RE.match(line)
        if match and match.group(1) in out:
            current = match.group(1)
            if pending:
                out[current].extend(pending)
                pending = []
            out[current].append(line)
            continue
        if line.startswith(("[ERROR]", "[WARNING]", "ERROR!", "[DEPRECATION")):
            current = None
            pending.append(line)
            continue
        if current is not None:
            out[current].append(line)
        elif line.strip():
            pending.append(line)
    for h in hosts:
        out[h].extend(pending)
    # The summary is printed once for all hosts: a "<host>: ..." or "<host>  <id>" line each, indented
    # and, with the default callback, JSON-quoted; deeper-indented lines after one ("at:", "next:")
    # belong to the same host.
    owner = None
    for line in text.splitlines():
        for segment in line.split("\\n"):
            body = segment.strip().strip('",').strip()
            indent = len(segment.strip().lstrip('"')) - len(segment.strip().lstrip('"').lstrip())
            hit = next((h for h in hosts if body.startswith((h + ":", h + " "))), None)
            if hit:
                owner, owner_indent = hit, indent
                out[hit].append(body)
                if body != line.strip():
                    out[hit].append(line.strip())  # a value with an escaped newline of its own stays whole
            elif owner and body and indent > owner_indent:
                out[owner].append(body)
            else:
                owner = None
    return out


def redact(text, canaries):
    for canary in canaries:
        text = text.replace(canary, "CANARY-<redacted>")
    return text


def first_line_with(lines, needle):
    for line in lines:
        if needle in line:
            return line.strip()
    return needle


# --------------------------------------------------------------------------- waves

def run_playbook(playbook, wave_dir, inventory, report_dir, timeout, forks):
    argv = [_bin("ansible-playbook"), os.path.join(ROOT, "playbooks", playbook), "-i", inventory,
            "-e", "pullfix_report_dir=" + report_dir]
    if playbook == "fix_pull.yml":
        # Every node of a wave is a case of its own: one batch, and no failed case stops the others.
        argv += ["-e", "pullfix_hosts=all", "-e", "pullfix_serial=100%", "-e", "pullfix_max_fail_percentage=100"]
    started = time.monotonic()
    rc, out = sh(argv, timeout=timeout, env=ansible_env(forks), limit=True)
    elapsed = time.monotonic() - started
    with open(os.path.join(wave_dir, playbook.replace(".yml", ".log")), "w") as handle:
        handle.write(out)
    return rc, out, elapsed


def cri_versions(inventory, hosts, forks):
    argv = [_bin("ansible"), "all", "-i", inventory, "-o", "-m", "kubenode.pullfix.cri_pull",
            "-a", "endpoint=%s action=version timeout=10" % ENDPOINT]
    rc, out = sh(argv, timeout=120, env=ansible_env(forks))
    result = {}
    for host in hosts:
        line = next((l for l in out.splitlines() if l.startswith(host + " | ")), None)
        if line is None:
            result[host] = "no answer for the host from the ad-hoc call: %s" % out.strip()[-300:]
        elif " | SUCCESS" in line and '"runtime_name"' in line:
            result[host] = None
        else:
            result[host] = line[:400]
    return result


def manifest_diff(before, after, allowed):
    changes = []
    for path in sorted(set(before) | set(after)):
        if before.get(path) == after.get(path):
            continue
        plain = path[len("root:"):] if path.startswith("root:") else path
        if any(fnmatch.fnmatch(plain, pat) for pat in allowed):
            continue
        old, new = before.get(path), after.get(path)
        if old is None:
            what = "appeared (%s)" % new.get("type")
        elif new is None:
            what = "disappeared (was %s)" % old.get("type")
        else:
            what = ", ".join("%s %s -> %s" % (k, _short(old.get(k)), _short(new.get(k)))
                             for k in ("type", "mode", "target", "size", "sha256") if old.get(k) != new.get(k))
        changes.append("%s %s" % (plain, what))
    return changes


def _short(value):
    return value[:12] if isinstance(value, str) and len(value) == 64 else value


def report_texts(report_dir):
    texts = []
    if os.path.isdir(report_dir):
        for name in sorted(os.listdir(report_dir)):
            path = os.path.join(report_dir, name)
            try:
                with open(path, encoding="utf-8", errors="replace") as handle:
                    texts.append((path, handle.read()))
            except OSError:
                pass
    return texts


def host_report(report_dir, host):
    path = os.path.join(report_dir, host + ".json")
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def check_expect(spec, lines, report):
    problems = []
    text = "\n".join(lines)
    findings = {f.get("id"): f for f in (report or {}).get("findings", [])}
    for want in spec.get("findings", []):
        found = findings.get(want["id"])
        if found is None:
            have = ", ".join(sorted(findings)) or "none"
            problems.append("finding %s missing (report has: %s)" % (want["id"], have if report else "no report"))
            continue
        blob = json.dumps(found, ensure_ascii=False)
        for mention in want["mentions"]:
            if mention not in blob:
                problems.append("finding %s does not mention %r (it says: %s)"
                                % (want["id"], mention, "; ".join(found.get("evidence") or [])[:300]))
    for bad in spec.get("no_findings", []):
        if bad in findings:
            problems.append("finding %s should not be there (it says: %s)"
                            % (bad, "; ".join(findings[bad].get("evidence") or [])[:300]))
    for needle in spec.get("output", []):
        if needle not in text:
            problems.append("output lacks %r" % needle)
    if spec.get("report"):
        blob = json.dumps(report or {}, ensure_ascii=False)
        for needle in spec["report"]:
            if needle not in blob:
                problems.append("report lacks %r%s" % (needle, "" if report else " (no report for the host)"))
    return problems


def run_wave(number, assignments, args, out_dir, all_canaries):
    """assignments: [(case, node)]. Returns one result dict per case."""
    wave_dir = os.path.join(out_dir, "wave-%02d" % number)
    os.makedirs(wave_dir, exist_ok=True)
    hosts = [node for dummy, node in assignments]
    results = {node: {"case": case, "node": node, "diagnose": [], "fix_pull": [], "setup": []}
               for case, node in assignments}
    forks = len(hosts)

    def plant(item):
        case, node = item
        request = {"files": case["files"], "commands": case["commands"]}
        answer = helper(node, "plant", request, timeout=300)
        if answer.get("error"):
            return answer["error"]
        after = helper(node, "inspect", {"canaries": []})
        if after.get("error"):
            return after["error"]
        results[node]["planted"] = after["manifest"]
        return None

    with concurrent.futures.ThreadPoolExecutor(forks) as pool:
        for (case, node), problem in zip(assignments, pool.map(plant, assignments)):
            if problem:
                results[node]["setup"].append("planting failed: " + problem)

    inventory = os.path.join(wave_dir, "inventory.yml")
    hostvars = {}
    for case, node in assignments:
        # A containerd that does not come back is rolled back after this many seconds (default 60).
        entry = {"ansible_connection": "community.docker.docker", "pullfix_restart_timeout": RESTART_TIMEOUT}
        entry.update(case["vars"])
        hostvars[node] = entry
    with open(inventory, "w", encoding="utf-8") as handle:
        yaml.safe_dump({"all": {"hosts": hostvars}}, handle, allow_unicode=True, width=1 << 20)
    timeout = max(case["timeout"] for case, dummy in assignments)
    timing = {}

    for key, playbook in (("diagnose", "diagnose.yml"), ("fix_pull", "fix_pull.yml")):
        report_dir = os.path.join(wave_dir, "report-" + key)
        rc, out, elapsed = run_playbook(playbook, wave_dir, inventory, report_dir, timeout, forks)
        timing[key] = round(elapsed, 1)
        per_host = split_by_host(out, hosts)
        reports = report_texts(report_dir)
        inspect = {}

        def look(item):
            case, node = item
            return node, helper(node, "inspect", {"canaries": [case["canary"]], "eol": case["consistent_eol"]})

        with concurrent.futures.ThreadPoolExecutor(forks) as pool:
            for node, answer in pool.map(look, assignments):
                inspect[node] = answer
        cri = cri_versions(inventory, hosts, forks) if key == "fix_pull" else {}
        for case, node in assignments:
            res = results[node]
            problems = res[key]
            lines = per_host[node]
            if rc == 124:
                problems.append("timeout: ansible-playbook %s did not finish in %d s" % (playbook, timeout))
            elif not re.search(r"^%s\s+: ok=" % re.escape(node), out, re.M):
                # No recap line for the host: the run stopped early, maybe because of another host.
                fatal = next((l.strip() for l in out.splitlines() if l.startswith(("[ERROR]", "ERROR!"))), "no error shown")
                problems.append("aborted: ansible-playbook %s ended before a recap for this host (%s)"
                                % (playbook, fatal[:300]))
            # 1. expectations
            spec = case["expect"].get(key)
            if spec:
                missed = check_expect(spec, lines, host_report(report_dir, node))
                for p in missed:
                    problems.append("expect: " + p)
                said = next((l.strip() for l in lines if l.startswith("[ERROR]")), None)
                if missed and said:
                    problems.append("host said: " + said[:400])
            # 2. crashes
            for marker in CRASH_MARKERS:
                if any(marker in line for line in lines):
                    problems.append("crash: %s" % first_line_with(lines, marker)[:400])
                    break
            # 3. files
            answer = inspect[node]
            if answer.get("error"):
                problems.append("files: cannot inspect the node: %s" % answer["error"][:300])
            elif "planted" in res:
                allowed = case["may_change"] if key == "fix_pull" else []
                changed = manifest_diff(res["planted"], answer["manifest"], allowed)
                if changed:
                    problems.append("files: %d changed: %s" % (len(changed), "; ".join(changed[:4])
                                                               + ("; ..." if len(changed) > 4 else "")))
                if key == "fix_pull" and case["all_or_nothing"]:
                    whole = case["all_or_nothing"]
                    # Entries of any type: a directory made for a hosts.toml never written counts too.
                    count = sum(1 for path in answer["manifest"] if fnmatch.fnmatch(path, whole["glob"]))
                    before = sum(1 for path in res["planted"] if fnmatch.fnmatch(path, whole["glob"]))
                    if count not in (before, whole["count"]):
                        problems.append("files: half-applied: %d of %d entries matching %s (before: %d)"
                                        % (count, whole["count"], whole["glob"], before))
                for path, eol in sorted((answer.get("eol") or {}).items()):
                    if eol.get("crlf") and eol.get("lf"):
                        problems.append("files: %s mixes line endings (%d CRLF, %d bare LF)" % (path, eol["crlf"], eol["lf"]))
            # 4. CRI
            if key == "fix_pull" and cri.get(node):
                problems.append("cri: containerd does not answer CRI Version: %s" % cri[node])
            # 5. canary
            canary = case["canary"]
            if canary in out:
                problems.append("canary in output: %s" % first_line_with(out.splitlines(), canary)[:300])
            for path, text in reports:
                if canary in text:
                    problems.append("canary in report %s" % os.path.basename(path))
            for hit in answer.get("canaries", []):
                planted = res.get("planted", {}).get(hit["path"])
                if planted is not None and planted == answer.get("manifest", {}).get(hit["path"]):
                    continue  # the case's own file, untouched: the node's state, not the tool's doing
                allowed = any(fnmatch.fnmatch(hit["path"], pat) for pat in case["canary_files"])
                if not allowed:
                    problems.append("canary in node file %s (mode %s)" % (hit["path"], hit["mode"]))
                elif hit["mode"] != "0600":
                    problems.append("canary file %s is mode %s, not 0600" % (hit["path"], hit["mode"]))
            res["rc_" + key] = rc
            res[key] = [redact(p, all_canaries) for p in problems]
    for res in results.values():
        res["timing"] = timing
    return [results[node] for dummy, node in assignments]


def reset_nodes(nodes):
    problems = {}

    def reset(node):
        return node, helper(node, "reset", timeout=240)

    with concurrent.futures.ThreadPoolExecutor(len(nodes)) as pool:
        for node, answer in pool.map(reset, nodes):
            if answer.get("error") or answer.get("problems"):
                problems[node] = answer.get("error") or "; ".join(answer["problems"])[:1000]
    return problems


def schedule(cases, per_platform):
    """Waves of (case, platform): at most per_platform cases per platform, slow cases last."""
    pending = sorted(cases, key=lambda c: (c["slow"], c["platform"] == "any"))
    waves = []
    while pending:
        slots = {p: per_platform for p in PLATFORMS}
        wave, rest = [], []
        for case in pending:
            choice = case["platform"]
            if choice == "any":
                choice = max(PLATFORMS, key=lambda p: slots[p])
            if slots[choice] > 0:
                slots[choice] -= 1
                wave.append((case, choice))
            else:
                rest.append(case)
        waves.append(wave)
        pending = rest
    return waves


def write_results(path, results, timings, total):
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"total_s": round(total, 1), "waves": timings,
                   "cases": [{"name": r["case"]["name"], "source": r["case"]["source"], "platform": r["platform"],
                              "wave": r["wave"], "node": r["node"], "setup": r["setup"],
                              "diagnose": r["diagnose"], "fix_pull": r["fix_pull"],
                              "rc_diagnose": r.get("rc_diagnose"), "rc_fix_pull": r.get("rc_fix_pull")}
                             for r in results]}, handle, indent=2)


def run_lane(waves, nodes, first, args, all_canaries, log):
    """Run waves one after another on the lane's nodes, resetting (and checking) between waves."""
    results, timings = [], []
    for number, wave in enumerate(waves, first):
        if STOP.is_set():
            break
        free = {p: [n for n, q in nodes if q == p] for p in PLATFORMS}
        assignments = [(case, free[platform].pop(0)) for case, platform in wave]
        t0 = time.monotonic()
        wave_results = run_wave(number, assignments, args, args.out, all_canaries)
        for res, (dummy, platform) in zip(wave_results, wave):
            res["platform"] = platform
            res["wave"] = number
        results.extend(wave_results)
        # Partial results after every wave: an interrupted run still leaves what it found.
        write_results(os.path.join(args.out, "results-lane-%d.json" % first), results, timings, 0)
        t1 = time.monotonic()
        broken = reset_nodes([n for dummy, n in assignments])
        t2 = time.monotonic()
        for node, problem in broken.items():
            log.write("reset of %s after wave %d failed: %s\n" % (node, number, problem))
            print("hostile: reset of %s failed (%s); recreating it" % (node, problem[:200]), flush=True)
            start_nodes([(node, dict(nodes)[node])], log)
        failed = sum(1 for r in wave_results if r["setup"] or r["diagnose"] or r["fix_pull"])
        timings.append({"wave": number, "cases": len(wave), "run_s": round(t1 - t0, 1),
                        "reset_s": round(t2 - t1, 1), "playbooks": wave_results[0]["timing"],
                        "reset_failed": sorted(broken)})
        print("hostile: wave %d: %d cases, %d failed, %.0f s (diagnose %.0f s, fix-pull %.0f s) + reset %.1f s"
              % (number, len(wave), failed, t1 - t0, wave_results[0]["timing"]["diagnose"],
                 wave_results[0]["timing"]["fix_pull"], t2 - t1), flush=True)
    return results, timings


def table(results):
    rows = [("case", "platform", "diagnose", "fix-pull", "failed assertions (why)")]
    for res in results:
        case = res["case"]
        diag = "ok" if not res["diagnose"] and not res["setup"] else "FAIL"
        fix = "ok" if not res["fix_pull"] and not res["setup"] else "FAIL"
        why = ["setup: " + s for s in res["setup"]] + ["diagnose " + p for p in res["diagnose"]] \
            + ["fix-pull " + p for p in res["fix_pull"]]
        rows.append((case["name"], res["platform"], diag, fix, " | ".join(why) or "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = []
    for i, row in enumerate(rows):
        lines.append("  ".join(row[c].ljust(widths[c]) for c in range(4)) + "  " + row[4])
        if i == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 30)
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("cases", nargs="*", default=[os.path.join(HERE, "cases")],
                        help="case files or directories (default: tests/hostile/cases)")
    parser.add_argument("--only", action="append", default=[], help="run only cases whose name matches this glob")
    parser.add_argument("--nodes", type=int, default=int(os.environ.get("HOSTILE_NODES", "5")),
                        help="nodes per platform (default 5, or $HOSTILE_NODES)")
    parser.add_argument("--out", default=os.path.join(ROOT, ".build", "hostile"), help="logs, reports and results")
    parser.add_argument("--keep", action="store_true", help="leave the nodes running afterwards")
    parser.add_argument("--list", action="store_true", help="validate and list the cases, start nothing")
    args = parser.parse_args()
    if args.nodes < 1 or args.nodes > 20:
        raise HarnessError("--nodes must be between 1 and 20")

    cases = load_cases(args.cases, args.only)
    if args.list:
        for lane, members in (("", [c for c in cases if not c["slow"]]), ("slow lane ", [c for c in cases if c["slow"]])):
            for number, wave in enumerate(schedule(members, 1 if lane else args.nodes), 1):
                for case, platform in wave:
                    print("%swave %2d  %-9s %-40s %s" % (lane, number, platform, case["name"], case["about"]))
        print("%d cases" % len(cases))
        return 0
    if not os.path.isdir(os.path.join(ROOT, ".build", "collections", "ansible_collections", "kubenode", "pullfix")):
        raise HarnessError("the collection link is missing: run `make venv` first (or use `make hostile`)")

    all_canaries = [c["canary"] for c in cases]
    shutil.rmtree(args.out, ignore_errors=True)
    os.makedirs(args.out)
    lanes = []
    # Each slow case has a lane of its own: one that kills its ansible-playbook run takes no
    # other case down with it.
    lane_specs = [("", [c for c in cases if not c["slow"]], args.nodes, 1)]
    lane_specs += [("slow%d-" % i, [c], 1, 101 + i) for i, c in enumerate(c for c in cases if c["slow"])]
    for label, members, per_platform, first in lane_specs:
        lane_waves = schedule(members, per_platform)
        used = {p: max((sum(1 for dummy, q in w if q == p) for w in lane_waves), default=0) for p in PLATFORMS}
        lane_nodes = [("%s%s%s-%d" % (PREFIX, label, "d12" if p == "debian12" else "d13", i), p)
                      for p in PLATFORMS for i in range(used[p])]
        if lane_waves:
            lanes.append((lane_waves, lane_nodes, first))
    nodes = [n for lane in lanes for n in lane[1]]
    started = time.monotonic()
    results = []
    timings = []
    with open(os.path.join(args.out, "nodes.log"), "w") as log:
        print("hostile: starting %d nodes (%s)" % (len(nodes), ", ".join(n for n, dummy in nodes)), flush=True)
        try:
            start_nodes(nodes, log)
            print("hostile: nodes ready in %.0f s; %d cases in %d waves"
                  % (time.monotonic() - started, len(cases), sum(len(l[0]) for l in lanes)), flush=True)
            with concurrent.futures.ThreadPoolExecutor(len(lanes)) as pool:
                futures = [pool.submit(run_lane, lane_waves, lane_nodes, first, args, all_canaries, log)
                           for lane_waves, lane_nodes, first in lanes]
                try:
                    for future in futures:
                        lane_results, lane_timings = future.result()
                        results.extend(lane_results)
                        timings.extend(lane_timings)
                except BaseException:
                    STOP.set()  # the lanes see it at their next child process or wave
                    raise
        finally:
            STOP.set()
            if not args.keep:
                STOP.clear()  # removing the nodes is the one thing still to run
                stop_nodes(nodes)
    waves = [w for lane in lanes for w in lane[0]]
    total = time.monotonic() - started
    lines = table(results)
    failed = [r for r in results if r["setup"] or r["diagnose"] or r["fix_pull"]]
    lines.append("")
    lines.append("%d cases, %d passed, %d failed; %d waves on %d nodes; %.0f s in all"
                 % (len(results), len(results) - len(failed), len(failed), len(waves), len(nodes), total))
    print("\n".join(lines))
    with open(os.path.join(args.out, "results.txt"), "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    write_results(os.path.join(args.out, "results.json"), results, timings, total)
    print("hostile: logs and reports in %s" % os.path.relpath(args.out, os.getcwd()))
    return 1 if failed else 0


def _terminate(signum, _frame):
    STOP.set()
    raise KeyboardInterrupt("signal %d" % signum)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _terminate)
    try:
        sys.exit(main())
    except HarnessError as exc:
        sys.stderr.write("hostile: %s\n" % exc)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.stderr.write("hostile: interrupted\n")
        sys.exit(130)
