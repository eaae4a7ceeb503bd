"""Assert how an ansible-runner job inside the execution environment ended.

Usage: python check_job.py ARTIFACT_DIR changed|unchanged|any

ARTIFACT_DIR is the job's artifacts/<ident> directory. Every job must have ended with
status `successful` and rc 0, with no host failed or unreachable, and have run at least one
task on a node. `changed`: some host reported a change; `unchanged`: no host did (the
second run of fix_pull proves the fix idempotent).
"""
import json
import os
import sys


def stats(artifact_dir):
    events_dir = os.path.join(artifact_dir, 'job_events')
    for name in sorted(os.listdir(events_dir)):
        with open(os.path.join(events_dir, name)) as f:
            event = json.load(f)
        if event.get('event') == 'playbook_on_stats':
            return event['event_data']
    return None


def check(artifact_dir, expect):
    problems = []
    with open(os.path.join(artifact_dir, 'status')) as f:
        status = f.read().strip()
    with open(os.path.join(artifact_dir, 'rc')) as f:
        rc = f.read().strip()
    if (status, rc) != ('successful', '0'):
        problems.append('job ended %s with rc %s' % (status, rc))
    data = stats(artifact_dir)
    if data is None:
        return problems + ['no playbook_on_stats event: the playbook did not finish']
    for key in ('failures', 'dark'):
        if data.get(key):
            problems.append('%s: %s' % ('failed' if key == 'failures' else 'unreachable', data[key]))
    if not [h for h in data.get('ok', {}) if h != 'localhost']:
        problems.append('no task ran on a node (ok: %s)' % data.get('ok'))
    changed = {h: n for h, n in (data.get('changed') or {}).items() if n}
    if expect == 'changed' and not changed:
        problems.append('expected changes, none reported')
    if expect == 'unchanged' and changed:
        problems.append('expected no change, got changed=%s' % changed)
    return problems


def main(argv):
    if len(argv) != 3 or argv[2] not in ('changed', 'unchanged', 'any'):
        sys.stderr.write(__doc__)
        return 2
    problems = check(argv[1], argv[2])
    for problem in problems:
        print('%s: %s' % (argv[1], problem))
    if not problems:
        print('%s: ok (%s)' % (argv[1], argv[2]))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
