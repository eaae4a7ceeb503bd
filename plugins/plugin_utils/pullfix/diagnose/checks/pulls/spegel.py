# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of containerd-discards-layers-for-spegel: catalogue entry and user text, the check and the
cases (see diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy

from ....facts import containerd as cfacts
from ....facts import spegel as sfacts
from ...catalogue import MANUAL, case, finding
from . import config_docs, containerd_version

FINDINGS = {
    'containerd-discards-layers-for-spegel': finding(
        'warning', 'containerd discards the compressed layers a Spegel peer cache would serve',
        MANUAL, 'pull',
        applies_to='containerd 1.7, 2.x with discard_unpacked_layers = true (EKS AL2023 nodeadm, kubespray 1.x templates, Talos) and Spegel '
                   '(or k3s/RKE2 embedded-registry) on the node',
        doc="""`discard_unpacked_layers = true` lets containerd's garbage collector drop an image's compressed blobs once they are \
unpacked (v2.1.0 internal/cri/config/config.go 291-294). A Spegel peer then has nothing to serve: peers answer \
`content digest sha256:<d> not found` (spegel#217) and every pull goes to the upstream, slower and rate limited; Spegel since PR #237 exits at \
start when it sees the setting. Pulls still work: a warning. Next step: set `discard_unpacked_layers = false` in the table the file's version \
reads. On containerd 2.1+ the setting also forces the local pull path; without it (and without other triggers) CRI pulls go through the \
transfer service, which reads `config_path` as one directory (a colon list stops working): keep `config_path` a single directory, or set \
`use_local_image_pull = true` to stay on the local path (facts/containerd.py pull_path()).
""",
        error_text='spegel: content digest sha256:<digest> not found',
        example='/etc/containerd/config.toml:8 discard_unpacked_layers = true\nspegel: process spegel (pid 2001)'),
}


def spegel_present(ctx):
    """Evidence lines of a Spegel on the node (process, unit, pullfix_socket_consumers, k3s embedded registry), [] when none."""
    ev = ctx.ev
    out = []
    for p in ev.raw.get('processes') or ():
        if 'spegel' in str(p.get('name') or '').lower():
            out.append('spegel: process %s (pid %s)' % (p.get('name'), p.get('pid')))
    units = ((ev.raw.get('systemd') or {}).get('units') or {})
    for name, props in sorted(units.items()):
        if 'spegel' in name.lower() and (props or {}).get('LoadState') == 'loaded':
            out.append('spegel: unit %s (%s)' % (name, (props or {}).get('ActiveState')))
    for name in ctx.settings.get('socket_consumers') or ():
        if 'spegel' in str(name).lower():
            out.append('spegel: pullfix_socket_consumers names %s' % name)
    for path in ('/etc/rancher/k3s/config.yaml', '/etc/rancher/rke2/config.yaml'):
        r = ev.parsed(path, 'yaml') if ev.file(path) else None
        if r and r[2] is None and isinstance(r[0], dict) and r[0].get('embedded-registry') is True:
            out.append('%s: embedded-registry: true (Spegel inside k3s/RKE2)' % path)
    return out


def check(ctx, models):
    docs = config_docs(ctx)
    if not docs:
        return
    cv = containerd_version(ctx)
    major = cv[0] if cv else 2
    hits = []
    for path, data, index in docs:
        value, keypath = sfacts.discard_setting(data, major)
        if value:
            hits.append(ctx.cite_key(path, index, keypath))
    if not hits:
        return
    present = spegel_present(ctx)
    if not present:
        return
    images = cfacts.effective_images_config([d for _p, d, _i in docs])
    now = cfacts.pull_path(cv, images)[0]
    without = copy.deepcopy(images)
    without.pop('discard_unpacked_layers', None)
    after = cfacts.pull_path(cv, without)
    path_note = ''
    if now != after[0]:
        path_note = (' Turning it off also switches CRI pulls from the %s pull path to the %s one (%s): keep config_path a single '
                     'directory, or set use_local_image_pull = true to stay on the local path.' % (now, after[0], after[1]))
    ctx.findings.add('containerd-discards-layers-for-spegel', hits + present,
                     'containerd drops compressed blobs after unpacking, so the Spegel on this node has nothing to serve to its '
                     'peers and pulls go to the upstream. Set discard_unpacked_layers = false in the table the file\'s version '
                     'reads.' + path_note)


_V3 = 'version = 3\n[plugins."io.containerd.cri.v1.images"]\n  discard_unpacked_layers = %s\n'


def _spegel(value):
    def build(ev, h):
        h.set_containerd_version(ev, '2.1.9')
        h.with_file(ev, '/etc/containerd/config.toml', _V3 % value, 'containerd-config')
        h.with_process(ev, 'spegel', ['/app/spegel', 'registry'], pid=2001)
    return build


CASES = {
    'containerd-discards-layers-for-spegel': (case(_spegel('true')), case(_spegel('false'))),
}
