"""Test fixture: wait until kubenode.pullfix.apply_changes has staged a file next to its target
(a hidden ".<name>.pullfix-*" file in one of the watched directories), then SIGKILL every process
running that module, and record what was staged and what was killed in the given file.

Usage: python3 pullfix-kill-when-staged.py RECORD DIR... (gives up after 120 s)."""
import json
import os
import signal
import sys
import time

MODULE = b"AnsiballZ_apply_changes"


def staged(dirs):
    for d in dirs:
        try:
            names = os.listdir(d)
        except OSError:
            continue
        for n in names:
            if n.startswith(".") and ".pullfix-" in n:
                return os.path.join(d, n)
    return None


def module_pids():
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                with open("/proc/%s/cmdline" % entry, "rb") as f:
                    if MODULE in f.read():
                        pids.append(int(entry))
            except OSError:
                pass
    return pids


def main():
    record, dirs = sys.argv[1], sys.argv[2:]
    deadline = time.time() + 120
    while time.time() < deadline:
        path = staged(dirs)
        if path:
            pids = module_pids()
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            with open(record, "w") as f:
                json.dump({"staged": path, "killed": pids}, f)
            return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
