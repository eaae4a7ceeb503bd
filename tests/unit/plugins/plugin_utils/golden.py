# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The doctor's whole output on every recorded input, as one JSON text (tests/unit/fixtures/golden/diagnosis.json).

Inputs: every evidence fixture, every corpus file the corpus tests feed through the doctor (built the
same way), and the positive and near-miss case of every finding. Output per input: the diagnosis
(runtime, findings, routes), the route lines and the per-host report JSON the report renders.

``python tests/unit/plugins/plugin_utils/golden.py`` rewrites the file; test_golden.py compares."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

GOLDEN = os.path.join(HERE, '..', '..', 'fixtures', 'golden', 'diagnosis.json')


def _inputs():
    """(name, builder) for every input; a builder returns (evidence, settings)."""
    import test_corpus as corpus
    from pullfix_helpers import FIXTURES, load
    out = []
    for name in sorted(os.listdir(FIXTURES)):
        if name.endswith('.json'):
            out.append(('evidence/' + name, lambda name=name: (load(name), {})))
    for name in corpus.corpus('containerd-config'):
        for version in corpus.VERSIONS:
            out.append(('corpus/containerd-config/%s@%s' % (name, version),
                        lambda name=name, version=version: (corpus.containerd_evidence(name, version), {})))
    for name in corpus.corpus('registries-yaml'):
        out.append(('corpus/registries-yaml/' + name,
                    lambda name=name: (corpus.k3s_evidence(corpus.read('registries-yaml', name)), {})))
    for name in corpus.corpus('registries-conf'):
        out.append(('corpus/registries-conf/' + name, lambda name=name: (corpus.registries_conf_evidence(name), {})))
    for name in corpus.corpus('hosts-toml'):
        out.append(('corpus/hosts-toml/' + name, lambda name=name: (_hosts_toml(corpus, name), {})))
    for kind in ('shim', 'kubelet', 'crictl'):
        for name in corpus.corpus(kind):
            out.append(('corpus/%s/%s' % (kind, name), lambda kind=kind, name=name: (_other(corpus, kind, name), {})))
    for fid, (positive, negative) in sorted(_cases().items()):
        out.append(('case/%s/positive' % fid, positive))
        out.append(('case/%s/near-miss' % fid, negative))
    return out


def _cases():
    from test_pullfix_diagnose import CASES
    return CASES


def _hosts_toml(corpus, name):
    from pullfix_helpers import with_dir, with_file
    ev = corpus.evidence('1.7.24', corpus.read('containerd-config', 'containerd-docs-hosts-v2.toml'))
    host = corpus.HOSTS_DIRS.get(name, 'docker.io')
    with_dir(ev, corpus.CD, [{'name': host, 'type': 'dir'}])
    with_dir(ev, corpus.CD + '/' + host, [{'name': 'hosts.toml', 'type': 'file'}])
    return with_file(ev, corpus.CD + '/' + host + '/hosts.toml', corpus.read('hosts-toml', name), 'certs-d')


def _other(corpus, kind, name):
    from pullfix_helpers import load, with_file
    ev = load('healthy-containerd.json')
    if kind == 'kubelet':
        path, why = corpus.KUBELET_PLACES.get(name, ('/var/lib/kubelet/config.yaml', 'kubelet-config'))
    else:
        path, why = corpus.PLACES[kind], {'shim': 'shim-config', 'crictl': 'crictl-config'}[kind]
    return with_file(ev, path, corpus.read(kind, name), why)


def outcome(build):
    from pullfix_helpers import run
    from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix import report
    ev, settings = build()
    result = run(ev, settings)
    host = {'host': 'node', 'runtime': result['runtime'], 'findings': result['findings'],
            'routes': result['routes'], 'changes': [], 'verify': []}
    return {'diagnosis': result,
            'route_lines': [report.route_lines(r) for r in result['routes']],
            'report': json.loads(report.render_host_json(host))}


def render():
    data = dict((name, outcome(build)) for name, build in _inputs())
    return json.dumps(data, indent=1, sort_keys=True) + '\n'


def main():
    with open(GOLDEN, 'w') as f:
        f.write(render())


if __name__ == '__main__':
    main()
