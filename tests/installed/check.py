"""Assert what the installed collection's runs left in their reports.

Usage: python check.py fix REPORT.json | python check.py diagnose REPORT.json

fix: the main job fixed the broken node (CRI plugin back, config_path set, the docker.io mirror
written by the collection), every verification image was pulled through CRI, nothing is open.
diagnose: the doctor, run afterwards, finds no error and no warning on the fixed node.
"""
import json
import sys

FIXED = {'containerd-cri-disabled', 'containerd-config-path-unset', 'cri-endpoint-no-cri-service'}
WRITTEN = {'/etc/containerd/config.toml', '/etc/containerd/certs.d/docker.io/hosts.toml'}
IMAGES = {'docker.io/library/a:1', 'docker.io/library/b:1'}


def check_fix(report):
    problems = []
    fixed = {f['id'] for f in report['findings'] if f.get('fixed')}
    if not FIXED <= fixed:
        problems.append('not reported fixed: %s' % sorted(FIXED - fixed))
    still = [f['id'] for f in report['findings'] if f['severity'] == 'error' and not f.get('fixed')]
    if still:
        problems.append('errors still open: %s' % still)
    written = {c['path'] for c in report.get('changes', [])}
    if not WRITTEN <= written:
        problems.append('files not written: %s' % sorted(WRITTEN - written))
    pulled = {v['image'] for v in report.get('verify', [])
              if v.get('ok') and str(v.get('image_ref', '')).startswith('sha256:')}
    if pulled != IMAGES:
        problems.append('verified pulls %s, expected %s' % (sorted(pulled), sorted(IMAGES)))
    return problems


def check_diagnose(report):
    open_ = ['%s (%s)' % (f['id'], f['severity']) for f in report['findings']
             if f['severity'] in ('error', 'warning') and not f.get('fixed')]
    return ['doctor still finds: %s' % open_] if open_ else []


def main(argv):
    if len(argv) != 3 or argv[1] not in ('fix', 'diagnose'):
        sys.stderr.write(__doc__)
        return 2
    with open(argv[2]) as f:
        report = json.load(f)
    problems = (check_fix if argv[1] == 'fix' else check_diagnose)(report)
    for problem in problems:
        print('%s: %s' % (argv[2], problem))
    if not problems:
        print('%s: %s ok' % (argv[2], argv[1]))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
