# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Node side of the hostile-input harness (test fixture, standard library only).

run.py copies this file into every hostile test node and calls it with
`docker exec -i NODE python3 /var/lib/hostile-harness/node_helper.py VERB`,
a JSON request on stdin and a JSON answer on stdout:

  snapshot  tar the restored trees, record the root's entries, the mounts and
            the baseline manifest (once, right after the node booted)
  plant     create a case's files (text, bytes, big generated files, directories,
            FIFOs, symlinks, dangling symlinks, symlink loops, read-only bind
            mounts), then run the case's setup commands
  inspect   manifest of the watched trees (sha256, mode, type, link target) and
            the files that hold any of the given canaries
  reset     undo a case: unmount what it mounted, restore the trees from the
            snapshot, remove new entries at /, daemon-reload, restart containerd,
            then prove it: manifest == baseline and CRI Version answers (through
            the collection's own CRI client, copied next to this file)

It never raises to its caller: every failure is an "error" string in the answer.
"""

import base64
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import time
import traceback

STATE = "/var/lib/hostile-harness"
SNAPSHOT = STATE + "/trees.tar"
BASELINE = STATE + "/baseline.json"
ENDPOINT = "unix:///run/containerd/containerd.sock"

# Trees the assertions watch (the brief's list) plus the places a case may plant
# into (k3s stand-in binary, docker's certs.d, CRI-O, kubeadm): all restored by reset.
WATCHED = (
    "/etc/containerd", "/etc/rancher", "/etc/containers", "/etc/crictl.yaml", "/var/lib/kubelet",
    "/etc/systemd/system", "/etc/image-cri-shim.yaml",
    "/etc/docker", "/etc/crio", "/etc/kubernetes", "/etc/default/kubelet", "/usr/local/bin",
    "/var/lib/rancher",
)
# Where canaries are looked for besides the watched trees (ansible leaves temporary
# files under /root/.ansible/tmp and /tmp; backups land next to the files they back up).
SCAN_EXTRA = ("/tmp", "/var/tmp", "/root", "/etc/default")
# The root's own entries: compared by name, type, mode and link target, never walked.
ROOT_SKIP = frozenset(("proc", "sys", "dev", "run", "tmp"))

TYPE_NAMES = ((stat.S_ISREG, "file"), (stat.S_ISDIR, "dir"), (stat.S_ISLNK, "symlink"),
              (stat.S_ISFIFO, "fifo"), (stat.S_ISSOCK, "socket"), (stat.S_ISCHR, "char"),
              (stat.S_ISBLK, "block"))


def type_name(mode):
    for test, name in TYPE_NAMES:
        if test(mode):
            return name
    return "other"


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while True:
            block = handle.read(1 << 20)
            if not block:
                break
            digest.update(block)
    return digest.hexdigest()


def describe(path):
    try:
        st = os.lstat(path)
    except OSError as exc:
        return {"type": "error", "error": exc.strerror}
    item = {"type": type_name(st.st_mode), "mode": "%04o" % stat.S_IMODE(st.st_mode)}
    if item["type"] == "symlink":
        item["target"] = os.readlink(path)
    elif item["type"] == "file":
        try:
            item["sha256"] = sha256_of(path)
        except OSError as exc:
            item["sha256"] = "unreadable: %s" % exc.strerror
        item["size"] = st.st_size
    return item


def walk(top):
    """Yield every path under top (top included), never following symlinks."""
    if not os.path.lexists(top):
        return
    yield top
    if os.path.isdir(top) and not os.path.islink(top):
        for root, dirs, files in os.walk(top, followlinks=False):
            for name in sorted(dirs) + sorted(files):
                yield os.path.join(root, name)


def manifest():
    result = {}
    for top in WATCHED:
        for path in walk(top):
            result[path] = describe(path)
    for name in sorted(os.listdir("/")):
        if name in ROOT_SKIP:
            continue
        path = "/" + name
        result["root:" + path] = describe(path)
    return result


def mounts():
    with open("/proc/self/mountinfo") as handle:
        return [line.split()[4] for line in handle]


def run(argv, timeout=60):
    try:
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout, check=False)
        return proc.returncode, proc.stdout.decode("utf-8", "replace")
    except (OSError, subprocess.SubprocessError) as exc:
        return 127, str(exc)


def cri_version(timeout=30.0):
    """CRI Version through the collection's own client; retried until timeout."""
    sys.path.insert(0, STATE + "/lib")
    try:
        from ansible_collections.kubenode.pullfix.plugins.module_utils import _cri
    except Exception as exc:  # the copy is missing or broken: say so
        return {"ok": False, "error": "cannot import the CRI client: %s" % exc}
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            answer = _cri.version(ENDPOINT, timeout=2.0)
            return {"ok": True, "version": answer}
        except Exception as exc:  # CriError or OSError: keep trying until the deadline
            last = str(exc)
        if time.monotonic() > deadline:
            return {"ok": False, "error": last}
        time.sleep(0.3)


def do_snapshot(_request):
    os.makedirs(STATE, exist_ok=True)
    present = [p.lstrip("/") for p in WATCHED if os.path.lexists(p)]
    rc, out = run(["tar", "--xattrs", "--acls", "-cpf", SNAPSHOT, "-C", "/"] + present, timeout=120)
    if rc != 0:
        return {"error": "tar of the watched trees failed: %s" % out.strip()}
    base = {"manifest": manifest(), "mounts": mounts(), "root": sorted(os.listdir("/")),
            "present": present}
    with open(BASELINE, "w") as handle:
        json.dump(base, handle)
    return {"paths": len(base["manifest"]), "cri": cri_version()}


def generated(spec):
    """Parts of a generated file of exactly `size` bytes: head, filler * count, newlines, tail."""
    head = spec.get("head", "").encode("utf-8")
    tail = spec.get("tail", "").encode("utf-8")
    filler = spec.get("filler", "#\n").encode("utf-8") or b"#\n"
    body = max(0, int(spec["size"]) - len(head) - len(tail))
    count = body // len(filler)
    # What is left is padded with newlines, which change no TOML or YAML meaning.
    return head, filler, count, b"\n" * (body - count * len(filler)) + tail


def remove(path):
    if os.path.islink(path) or (os.path.lexists(path) and not os.path.isdir(path)):
        os.unlink(path)
    elif os.path.isdir(path):
        shutil.rmtree(path)


def plant_one(item):
    path = item["path"]
    kind = item.get("kind", "file")
    parent = os.path.dirname(path)
    if kind != "absent" and parent and not os.path.isdir(parent):
        os.makedirs(parent, mode=0o755, exist_ok=True)
    if kind != "readonly_mount":
        remove(path)
    if kind == "absent":
        return
    if kind == "file":
        if "generate" in item:
            head, filler, count, tail = generated(item["generate"])
            with open(path, "wb") as handle:
                handle.write(head)
                chunk = filler * 4096
                for dummy in range(count // 4096):
                    handle.write(chunk)
                handle.write(filler * (count % 4096))
                handle.write(tail)
        else:
            if "base64" in item:
                data = base64.b64decode(item["base64"])
            else:
                data = item.get("content", "").encode("utf-8")
            with open(path, "wb") as handle:
                handle.write(data)
        os.chmod(path, int(str(item.get("mode", "0644")), 8))
    elif kind == "directory":
        os.makedirs(path, exist_ok=True)
        os.chmod(path, int(str(item.get("mode", "0755")), 8))
    elif kind == "fifo":
        os.mkfifo(path, int(str(item.get("mode", "0644")), 8))
    elif kind in ("symlink", "dangling_symlink"):
        target = item.get("target") or (path + ".missing-target")
        os.symlink(target, path)
    elif kind == "symlink_loop":
        partner = item.get("target") or (path + ".loop")
        remove(partner)
        os.symlink(partner, path)
        os.symlink(path, partner)
    elif kind == "readonly_mount":
        # A read-only bind mount of the directory onto itself: writes fail with EROFS,
        # exactly what a read-only certs.d looks like to the tool (chattr +i needs
        # CAP_LINUX_IMMUTABLE, which the test nodes do not have).
        os.makedirs(path, exist_ok=True)
        for argv in (["mount", "--bind", path, path], ["mount", "-o", "remount,bind,ro", path, path]):
            rc, out = run(argv)
            if rc != 0:
                raise RuntimeError("%s failed: %s" % (" ".join(argv), out.strip()))
    else:
        raise ValueError("unknown kind %r" % kind)


def do_plant(request):
    for item in request.get("files", []):
        try:
            plant_one(item)
        except Exception as exc:  # report which file could not be planted
            return {"error": "planting %s (%s) failed: %s" % (item.get("path"), item.get("kind", "file"), exc)}
    outputs = []
    for argv in request.get("commands", []):
        rc, out = run(argv, timeout=120)
        outputs.append({"argv": argv, "rc": rc, "output": out[-2000:]})
        if rc != 0:
            return {"error": "setup command %s exited %s: %s" % (" ".join(argv), rc, out.strip()[-500:]),
                    "commands": outputs}
    return {"commands": outputs}


def find_canaries(canaries):
    """Files (not FIFOs, sockets or devices) under the watched and scanned trees holding a canary."""
    needles = [c.encode("utf-8") for c in canaries]
    if not needles:
        return []
    longest = max(len(n) for n in needles)
    hits = []
    at_root = ["/" + n for n in os.listdir("/")
               if n not in ROOT_SKIP and os.path.isfile("/" + n) and not os.path.islink("/" + n)]
    tops = list(WATCHED) + list(SCAN_EXTRA) + at_root
    seen = set()
    for top in tops:
        for path in walk(top):
            if path in seen:
                continue
            seen.add(path)
            try:
                st = os.lstat(path)
            except OSError:
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            found = set()
            try:
                with open(path, "rb") as handle:
                    carry = b""
                    while True:
                        block = handle.read(1 << 20)
                        if not block:
                            break
                        data = carry + block
                        for needle in needles:
                            if needle in data:
                                found.add(needle.decode("utf-8"))
                        carry = data[-longest:]
            except OSError:
                continue
            for canary in sorted(found):
                hits.append({"path": path, "canary": canary, "mode": "%04o" % stat.S_IMODE(st.st_mode)})
    return hits


def line_endings(path):
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return {"error": exc.strerror}
    crlf = data.count(b"\r\n")
    return {"crlf": crlf, "lf": data.count(b"\n") - crlf}


def do_inspect(request):
    return {"manifest": manifest(), "canaries": find_canaries(request.get("canaries", [])),
            "eol": {path: line_endings(path) for path in request.get("eol", [])}}


def _stat_fields(pid):
    with open("/proc/%d/stat" % pid) as handle:
        data = handle.read()
    return data[data.rindex(")") + 2:].split()  # fields after "pid (comm)": state, ppid, pgrp, ...


def stray_sessions():
    """PIDs left by earlier `docker exec` sessions (parent 0 inside the container, not PID 1,
    not this helper) and everything below them: a playbook the harness stopped at its timeout
    leaves its module running on the node."""
    parents = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                parents[int(name)] = int(_stat_fields(int(name))[1])
            except (OSError, ValueError, IndexError):
                continue
    roots = {pid for pid, ppid in parents.items() if ppid == 0 and pid not in (1, os.getpid())}
    found = set(roots)
    changed = True
    while changed:
        changed = False
        for pid, ppid in parents.items():
            if ppid in found and pid not in found and pid != os.getpid():
                found.add(pid)
                changed = True
    return sorted(found)


def do_reset(_request):
    with open(BASELINE) as handle:
        base = json.load(handle)
    problems = []
    # 0. Stop what a stopped playbook left running here, so nothing writes during the restore.
    for pid in stray_sessions():
        try:
            os.kill(pid, 9)
        except OSError:
            pass
    # 1. Unmount what a case mounted (newest first).
    before = set(base["mounts"])
    for point in reversed(mounts()):
        if point not in before:
            rc, out = run(["umount", "-l", point])
            if rc != 0:
                problems.append("umount %s: %s" % (point, out.strip()))
    # 2. Remove the trees and new entries at /, then restore the snapshot.
    for top in WATCHED:
        try:
            remove(top)
        except OSError as exc:
            problems.append("remove %s: %s" % (top, exc))
    for name in os.listdir("/"):
        if name not in base["root"]:
            try:
                remove("/" + name)
            except OSError as exc:
                problems.append("remove /%s: %s" % (name, exc))
    rc, out = run(["tar", "--xattrs", "--acls", "-xpf", SNAPSHOT, "-C", "/"], timeout=120)
    if rc != 0:
        problems.append("tar restore: %s" % out.strip())
    # 3. systemd and containerd as at node start.
    run(["systemctl", "daemon-reload"])
    run(["systemctl", "reset-failed"])
    rc, out = run(["systemctl", "restart", "containerd.service"], timeout=90)
    if rc != 0:
        problems.append("restart containerd: %s" % out.strip())
    # 4. Prove it.
    now = manifest()
    for path in sorted(set(now) | set(base["manifest"])):
        if now.get(path) != base["manifest"].get(path):
            problems.append("not restored: %s (%s -> %s)" % (path, base["manifest"].get(path), now.get(path)))
    if sorted(mounts()) != sorted(base["mounts"]):
        problems.append("mounts differ from the snapshot")
    cri = cri_version()
    if not cri["ok"]:
        problems.append("CRI Version does not answer after the reset: %s" % cri["error"])
    return {"problems": problems, "cri": cri}


VERBS = {"snapshot": do_snapshot, "plant": do_plant, "inspect": do_inspect, "reset": do_reset}


def main():
    verb = sys.argv[1] if len(sys.argv) > 1 else ""
    try:
        raw = sys.stdin.read()
        request = json.loads(raw) if raw.strip() else {}
        if verb not in VERBS:
            answer = {"error": "unknown verb %r (expected one of %s)" % (verb, ", ".join(sorted(VERBS)))}
        else:
            answer = VERBS[verb](request)
    except Exception:  # never let the harness see a bare traceback: wrap it
        answer = {"error": "node helper %s failed: %s" % (verb, traceback.format_exc(limit=3))}
    sys.stdout.write(json.dumps(answer))


if __name__ == "__main__":
    main()
