"""Decide make demo's exit code from what fix_pull did; the collection's own summary, printed by
the runs above, is what the demo shows.

Usage: python tests/demo/outcome.py RC REPORT_JSON RC2 SECOND_LOG

RC and REPORT_JSON are the first fix_pull run's exit code and the host's report
(<report_dir>/<host>.json, removed before the run so it is this run's); RC2 and SECOND_LOG the
second run's exit code and console. The demo passed when the first run exited 0, changed files,
fixed findings and proved every verification pull, and the second run exited 0 changing
nothing. It prints one line either way.
"""
import json
import re
import sys


def main(argv):
    if len(argv) != 5 or not argv[1].isdigit() or not argv[3].isdigit():
        sys.stderr.write("usage: outcome.py RC REPORT_JSON RC2 SECOND_LOG\n")
        return 2
    rc, path, rc2, log = int(argv[1]), argv[2], int(argv[3]), argv[4]
    try:
        with open(path) as f:
            report = json.load(f)
    except (OSError, ValueError) as e:
        print("demo: FAILED: fix_pull exited %d and wrote no report (%s): it stopped before the end" % (rc, e))
        return rc or 1
    try:
        with open(log) as f:
            second = f.read()
    except OSError as e:
        second = ""
        print("demo: no console of the second run (%s)" % e)
    host = report.get("host", "?")
    findings = report.get("findings") or []
    verify = report.get("verify") or []
    reasons = []
    if rc != 0:
        reasons.append("the first fix_pull run exited %d (2: a host failed, see \"Failing\" above)" % rc)
    if not report.get("changes") or not any(f.get("fixed") for f in findings):
        reasons.append("the first run fixed nothing on a node broken on purpose")
    if not verify or not all(v.get("ok") and v.get("pulled", True) for v in verify):
        reasons.append("a verification pull failed or did not run")
    recap = re.search(r"^%s\s*:.*?changed=(\d+).*?failed=(\d+)" % re.escape(host), second, re.M)
    if rc2 != 0 or not recap or recap.group(1) != "0" or recap.group(2) != "0":
        reasons.append("the second run did not end quietly (exit %d, recap %s)" % (
            rc2, recap.group(0).split(":", 1)[1].strip() if recap else "missing"))
    if reasons:
        print("demo: FAILED: %s" % "; ".join(reasons))
        return rc or rc2 or 1
    print("demo: passed: fix_pull fixed %s, proved it with %d CRI pulls, and a second run changed nothing"
          % (host, len(verify)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
