"""Write a playbook of module EXAMPLES, taken from ansible-doc, to run against a test node.

Usage: python examples.py OUT.yml HOSTS [--then TASKS.yml] MODULE[:TASK NAME[|TASK NAME...]] ...

Each MODULE is a kubenode.pullfix module name; its EXAMPLES (as ansible-doc shows them from
the collection ANSIBLE_COLLECTIONS_PATH names) are parsed and, when task names follow the
colon, only those tasks are kept (the others need hosts or credentials a test node lacks).
The tasks of TASKS.yml (assertions on what the examples registered) follow them.
Exits 1, naming the module and task, when ansible-doc has no examples or a named task is not among them.
"""
import json
import os
import subprocess
import sys

import yaml

BIN = os.path.dirname(sys.executable)


def examples(module):
    out = subprocess.run([os.path.join(BIN, 'ansible-doc'), '--json', 'kubenode.pullfix.' + module],
                         check=True, capture_output=True, text=True).stdout
    doc = json.loads(out)['kubenode.pullfix.' + module]
    tasks = yaml.safe_load(doc.get('examples') or '') or []
    if not tasks:
        raise SystemExit('%s: ansible-doc shows no EXAMPLES' % module)
    return tasks


def main(argv):
    if len(argv) < 4:
        raise SystemExit(__doc__)
    out, hosts, selections = argv[1], argv[2], argv[3:]
    then = []
    if selections[0] == '--then':
        with open(selections[1]) as f:
            then = yaml.safe_load(f)
        selections = selections[2:]
    tasks = []
    for selection in selections:
        module, dummy, names = selection.partition(':')
        found = examples(module)
        if names:
            wanted = names.split('|')
            by_name = {t.get('name'): t for t in found}
            missing = [n for n in wanted if n not in by_name]
            if missing:
                raise SystemExit('%s: no example task named %s' % (module, ', '.join(missing)))
            found = [by_name[n] for n in wanted]
        tasks.extend(found)
    tasks.extend(then)
    play = [{'name': 'Module EXAMPLES from the installed collection', 'hosts': hosts,
             'gather_facts': False, 'tasks': tasks}]
    with open(out, 'w') as f:
        f.write('---\n')
        yaml.safe_dump(play, f, sort_keys=False)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
