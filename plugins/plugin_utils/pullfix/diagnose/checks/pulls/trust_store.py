# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of trust-store-changed-after-runtime-start: catalogue entry and user text, the check and the
cases (see diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ....facts import trust_store as tfacts
from ...catalogue import MANUAL, case, finding

FINDINGS = {
    'trust-store-changed-after-runtime-start': finding(
        'warning', 'The system trust store changed after the runtime started: the running process does not trust the new CAs',
        MANUAL, 'security',
        applies_to='every Go runtime (containerd, CRI-O, k3s, RKE2): Go loads the system roots once per process',
        doc="""A file of the system trust store (the bundle Go reads first of /etc/ssl/certs/ca-certificates.crt, \
/etc/pki/tls/certs/ca-bundle.crt, ..., or a file in /etc/ssl/certs or /etc/pki/tls/certs; SSL_CERT_FILE/SSL_CERT_DIR when the runtime \
has them) was changed after the runtime process started. Go loads the system roots once per process (src/crypto/x509/root.go \
`once.Do(initSystemRoots)`), so a private CA added with update-ca-certificates / update-ca-trust is not used until the runtime restarts: \
pulls fail with `x509: certificate signed by unknown authority` while curl and ctr (new processes) work (cri-tools#800, bottlerocket#2021). \
A warning on its own (the change may not concern any registry); a verification pull that fails so is `pull-tls-unknown-authority`, caused \
by this finding. Next step: restart the runtime (`systemctl restart containerd`), or name the CA per registry, read at every pull without a \
restart: `ca` in the registry's hosts.toml (`pullfix_registry_mirrors.<registry>.ca`); CRI-O: `*.crt` in `/etc/containers/certs.d/<host:port>/`.
""",
        error_text="""failed to pull and unpack image "registry.example.org/app:1": failed to resolve reference "registry.example.org/app:1": \
failed to do request: Head "https://registry.example.org/v2/app/manifests/1": tls: failed to verify certificate: x509: certificate signed by \
unknown authority""",
        example="""/etc/ssl/certs/ca-certificates.crt changed 2026-04-30T10:05:00Z
containerd pid 812 started 2026-04-30T09:00:00Z"""),
}


def _iso(epoch):
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(epoch))


def _mtimes(store):
    mtimes = dict((p, float(m)) for p, m in (store.get('files') or {}).items() if isinstance(m, (int, float)))
    for d, entry in (store.get('dirs') or {}).items():
        for item in (entry or {}).get('newest') or ():
            if isinstance(item.get('mtime'), (int, float)):
                mtimes['%s/%s' % (d.rstrip('/'), item.get('name'))] = float(item['mtime'])
    return mtimes


def check(ctx, models):
    store = ctx.ev.raw.get('trust_store')
    runtime = (ctx.runtime or {}).get('name')
    if not isinstance(store, dict) or not runtime:
        return
    names = {'containerd': ('containerd',), 'crio': ('crio',), 'k3s': ('k3s', 'containerd'), 'rke2': ('rke2', 'containerd'),
             'docker': ('dockerd',)}.get(runtime, (runtime,))
    mtimes = _mtimes(store)
    for proc in store.get('runtimes') or ():
        started = proc.get('started_at')
        if proc.get('name') not in names or not isinstance(started, (int, float)):
            continue
        late = tfacts.changed_since_start(mtimes, started, proc.get('env') or {})
        if not late:
            continue
        evidence = ['%s changed %s' % (p, _iso(mtimes[p])) for p in late[:3]]
        evidence.append('%s pid %s started %s' % (proc.get('name'), proc.get('pid'), _iso(started)))
        ctx.findings.add('trust-store-changed-after-runtime-start', evidence,
                         'The system trust store changed after %s (pid %s) started; Go loaded the CAs once at start, so the '
                         'running process does not trust the new ones. Restart it (systemctl restart %s), or give the '
                         'registry its CA in hosts.toml (pullfix_registry_mirrors.<registry>.ca), which is read at every pull.' % (
                             proc.get('name'), proc.get('pid'), 'crio' if runtime == 'crio' else 'containerd' if runtime == 'containerd'
                             else runtime))
        return


_START = 1777539600.0  # 2026-04-30T09:00:00Z


def _store(changed):
    def build(ev, h):
        ev['trust_store'] = {
            'files': {'/etc/ssl/certs/ca-certificates.crt': changed},
            'dirs': {'/etc/ssl/certs': {'mtime': changed, 'count': 2, 'error': None,
                                        'newest': [{'name': 'ca-certificates.crt', 'mtime': changed},
                                                   {'name': 'ab12cd34.0', 'mtime': _START - 86400}]}},
            'runtimes': [{'pid': 812, 'name': 'containerd', 'started_at': _START, 'env': {}}]}
    return build


CASES = {
    # The bundle rewritten an hour after containerd started vs a day before.
    'trust-store-changed-after-runtime-start': (case(_store(_START + 3600)), case(_store(_START - 86400))),
}
