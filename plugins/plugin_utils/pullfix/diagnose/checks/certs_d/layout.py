# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of certs-d-dir-never-matches, certs-d-symlink-loop, certs-d-entry-not-directory, certs-d-entry-
dangling, certs-d-default-unsupported: catalogue entries and user text, the check and the cases (see
diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import posixpath

from ....evidence import image_registry, url_host
from ....facts import containerd as facts
from ...catalogue import CONTAINERD, MANUAL, case, finding
from ...models.containerd import certs_roots, containerd_in_use, cversion
from . import host_dir_entries, host_dirs, never_matches, server_and_host_urls

FINDINGS = {
    'certs-d-dir-never-matches': finding(
        'error', 'A certs.d directory name can never match an image registry',
        CONTAINERD, 'pull',
        applies_to='containerd 1.6, 1.7, 2.0, 2.1, 2.2 (and the containerd embedded in k3s/RKE2 where it reads the same files)',
        doc="""A certs.d directory can never be selected: containerd looks up `<host>_<port>_`, then `<host>:<port>`, then `_default`. A directory \
named with a scheme (`mkdir -p certs.d/https://host` creates `https:`), or a bare `host` directory for a registry used as `host:port`, is never read.
""",
        error_text='(no error: pulls go to the registry itself) http: server gave HTTP response to HTTPS client',
        example="""/etc/containerd/certs.d/reg.example.com/hosts.toml:1 server = "https://reg.example.com:5000"
/etc/containerd/certs.d/https:: directory"""),
    'certs-d-symlink-loop': finding(
        'error', 'A certs.d directory containerd looks up is a symbolic link loop: pulls fail',
        MANUAL, 'pull',
        applies_to='containerd 1.6, 1.7, 2.0, 2.1, 2.2 (and the containerd embedded in k3s/RKE2 where it reads the same files)',
        doc="""containerd stats `<config_path>/<host>` (then `<host>:<port>`, `_default`) for every pull and fails the
pull on any error other than "does not exist" (`HostDirFromRoot` in `hosts.go`). A symbolic link loop
(ELOOP) there fails every pull of that registry (for `_default`: of every registry without its own
directory; for the config_path directory itself: of every registry).
""",
        error_text='failed to resolve reference "docker.io/library/nginx:1.27": stat /etc/containerd/certs.d/docker.io: too many levels of symbolic links',
        example='/etc/containerd/certs.d/docker.io: symlink_loop'),
    'certs-d-entry-not-directory': finding(
        'error', 'A certs.d entry containerd looks up is a file, not a directory: its pulls fail',
        MANUAL, 'pull',
        applies_to='containerd 1.6, 1.7, 2.0, 2.1, 2.2 (and the containerd embedded in k3s/RKE2 where it reads the same files)',
        doc="""containerd stats `<config_path>/<host>` and, when that succeeds, reads `<config_path>/<host>/hosts.toml`
(`HostDirFromRoot` and `loadHostDir` in `hosts.go`). When the entry is a regular file (or a link to
one), the stat succeeds and the read fails with "not a directory", which is not "does not exist":
the pull fails. For `_default`, every registry without a directory of its own is affected. The
planner never replaces such a file on its own: move it aside and make the entry a directory.
""",
        error_text='failed to resolve reference "docker.io/library/nginx:1.27": open /etc/containerd/certs.d/docker.io/hosts.toml: not a directory',
        example='/etc/containerd/certs.d/docker.io: file'),
    'certs-d-entry-dangling': finding(
        'warning', 'A certs.d entry is a dangling symbolic link: its hosts.toml is not applied',
        MANUAL, 'pull',
        applies_to='containerd 1.6, 1.7, 2.0, 2.1, 2.2 (and the containerd embedded in k3s/RKE2 where it reads the same files)',
        doc="""A symbolic link to nothing does not stat ("does not exist"), so containerd goes on to the next
candidate (`_default`, then the registry itself) as if the entry were absent. Pulls work, but the
mirror or TLS settings the link was meant to bring are not applied.
""",
        example='/etc/containerd/certs.d/docker.io: dangling symbolic link'),
    'certs-d-default-unsupported': finding(
        'error', 'certs.d/_default is not supported by this containerd version (< 1.6.17)',
        CONTAINERD, 'pull',
        applies_to='containerd before 1.6.17',
        doc="""`certs.d/_default` (mirror for every registry) exists but containerd is older than 1.6.17 (or 1.7.0), which does not know it.
""",
        error_text='(no error: the default mirror is ignored)',
        example='/etc/containerd/certs.d/_default: directory'),
}

# Positive and near-miss cases: build(ev, h) edits the healthy evidence fixture with the
# test helpers h (tests/unit/plugins/plugin_utils/pullfix_helpers.py).
CASES = {
    'certs-d-dir-never-matches': (
        case(lambda ev, h: h.with_hosts(ev, h.CERTS, 'reg.example.com', 'server = "https://reg.example.com:5000"\n')),
        case(lambda ev, h: h.with_hosts(ev, h.CERTS, 'reg.example.com_5000_', 'server = "https://reg.example.com:5000"\n'))),
    'certs-d-symlink-loop': (
        case(lambda ev, h: (h.cfg(ev, h.V2_HEAD + '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'),
                            h.with_dir(ev, h.CERTS, [{'name': 'docker.io', 'type': 'symlink'}]),
                            h.loop_dir(ev, h.CERTS + '/docker.io'))),
        case(lambda ev, h: (h.cfg(ev, h.V2_HEAD + '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'),
                            h.with_dir(ev, h.CERTS, [{'name': 'docker.io', 'type': 'symlink'}]),
                            h.with_dir(ev, h.CERTS + '/docker.io', [])))),
    'certs-d-entry-not-directory': (
        case(lambda ev, h: (h.cfg(ev, h.V2_HEAD + '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'),
                            h.with_dir(ev, h.CERTS, [{'name': 'docker.io', 'type': 'file'}]))),
        case(lambda ev, h: (h.cfg(ev, h.V2_HEAD + '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'),
                            h.with_dir(ev, h.CERTS, [{'name': 'README', 'type': 'file'}, {'name': 'docker.io', 'type': 'dir'}]),
                            h.with_dir(ev, h.CERTS + '/docker.io', [])))),
    'certs-d-entry-dangling': (
        case(lambda ev, h: (h.cfg(ev, h.V2_HEAD + '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'),
                            h.with_dir(ev, h.CERTS, [{'name': 'docker.io', 'type': 'symlink'}]),
                            h.dangling_dir(ev, h.CERTS + '/docker.io'))),
        case(lambda ev, h: (h.cfg(ev, h.V2_HEAD + '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'),
                            h.with_dir(ev, h.CERTS, [{'name': 'docker.io', 'type': 'symlink'}]),
                            h.with_dir(ev, h.CERTS + '/docker.io', [])))),
    'certs-d-default-unsupported': (
        case(lambda ev, h: (h.set_containerd_version(ev, '1.6.16'),
                            h.with_hosts(ev, h.CERTS, '_default', '[host."https://m.example.com"]\n'))),
        case(lambda ev, h: (h.set_containerd_version(ev, '1.6.17'),
                            h.with_hosts(ev, h.CERTS, '_default', '[host."https://m.example.com"]\n')))),
}


def _check_symlink_loops(ctx, root, entries):
    """certs.d (or one of its host directories) that is a symbolic link loop: os.Stat fails with ELOOP."""
    ev = ctx.ev
    rentry = ev.dirs.get(root) or {}
    if ((rentry.get('error') or {}).get('kind')) == 'symlink_loop':
        ctx.reported_paths.add(root)
        ctx.findings.add('certs-d-symlink-loop', ['%s: symlink_loop' % root], (
            '%s is a symbolic link loop. containerd stats <root>/<host> for every pull and fails on any error other '
            'than "does not exist" ("too many levels of symbolic links"), so every pull through this config_path '
            'fails.' % root))
        return
    for e in entries or ():
        if e.get('type') != 'symlink':
            continue
        sub = posixpath.join(root, e.get('name'))
        sentry = ev.dirs.get(sub) or {}
        if ((sentry.get('error') or {}).get('kind')) != 'symlink_loop':
            continue
        ctx.reported_paths.add(sub)
        reg = facts.dir_registry(e.get('name'))
        ctx.findings.add('certs-d-symlink-loop', ['%s: symlink_loop' % sub], (
            '%s is a symbolic link loop. containerd stats it when it looks up %s and fails on any error other than '
            '"does not exist" ("too many levels of symbolic links"), so %s fail. Remove the link or point it at a '
            'directory.' % (sub, 'every registry without a directory of its own' if reg == '*' else reg,
                            'those pulls' if reg == '*' else 'pulls from %s' % reg)))


def _check_entry_types(ctx, root, entries):
    """certs.d/<host> that is no directory. containerd stats <root>/<host> and, when that works, reads
    <root>/<host>/hosts.toml: a file there fails the read with "not a directory" and the pull with it;
    a dangling link does not stat, so containerd goes on to the next candidate as if it were absent."""
    ev = ctx.ev
    for e in entries or ():
        name, kind = e.get('name'), e.get('type')
        sub = posixpath.join(root, name or '')
        if not name or name.startswith('.') or kind == 'dir':
            continue
        if kind == 'symlink':
            err = ((ev.dirs.get(sub) or {}).get('error') or {})
            if err.get('kind') == 'missing':
                ctx.reported_paths.add(sub)
                ctx.findings.add('certs-d-entry-dangling', ['%s: dangling symbolic link' % sub], (
                    '%s is a symbolic link to nothing. containerd finds no directory there and goes on to the '
                    'next candidate (_default, then the registry itself), so no hosts.toml configures pulls from '
                    '%s. Point the link at a directory or remove it.' % (sub, _entry_registry(name))))
                continue
            if err.get('kind') != 'not_directory':
                continue
        reg = _entry_registry(name)
        if reg is None:
            continue
        ctx.reported_paths.add(sub)
        what = kind if kind != 'symlink' else 'symbolic link to a file'
        ctx.findings.add('certs-d-entry-not-directory', ['%s: %s' % (sub, what)], (
            '%s is not a directory. containerd stats it when it looks up %s, then opens %s/hosts.toml, which fails '
            'with "not a directory", and so do %s. Move the file aside and make %s a directory.' % (
                sub, 'every registry without a directory of its own' if reg == '*' else reg, sub,
                'those pulls' if reg == '*' else 'pulls from %s' % reg, sub)))


def _entry_registry(name):
    """The registry a certs.d entry name is looked up for, or None for a name no image can carry."""
    reg = facts.dir_registry(name)
    if reg == '*' or '.' in reg or ':' in reg or reg == 'localhost':
        return reg
    return None


def check_certs_d(ctx, roots=None):
    """certs.d directories and hosts.toml files; ``roots``: the directories containerd reads (None: all)."""
    ev = ctx.ev
    cv = cversion(ctx)
    upstream = containerd_in_use(ctx)
    mirrors = ctx.settings.get('registry_mirrors') or {}
    for root in certs_roots(ctx):
        if roots is None or root in roots or not containerd_in_use(ctx):
            _check_symlink_loops(ctx, root, ev.dir_entries(root))
            _check_entry_types(ctx, root, ev.dir_entries(root))
    for root, names in host_dirs(ctx):
        for name, sub, hosts_path, loaded in host_dir_entries(ctx, root, names):
            if name == '_default' and upstream and cv and not facts.supports_default_dir(cv):
                ctx.findings.add('certs-d-default-unsupported', ['%s: directory' % sub], (
                    'containerd %d.%d.%d does not know the _default directory (added in 1.6.17/1.7.0): '
                    'the "every registry" mirror in %s is never used.' % (cv[0], cv[1], cv[2], sub)))
            if never_matches(name):
                ctx.findings.add('certs-d-dir-never-matches', ['%s: directory' % sub], (
                    'The directory name "%s" contains a URL scheme or separator; containerd looks up '
                    '<host>_<port>_, <host>:<port> and _default only (e.g. "mkdir -p certs.d/https://host" '
                    'creates "https:").' % name))
                continue
            if not loaded:
                continue
            data, index = loaded
            if ':' not in name and not name.endswith('_') and name != '_default':
                # Only `server` names the registry a directory is meant for; [host]
                # entries are mirrors and may well carry a port.
                for keypath, url, _override in server_and_host_urls(data):
                    if keypath != ('server',):
                        continue
                    h = url_host(url) or ''
                    served = h in names or '%s_%s_' % (name, h[len(name) + 1:]) in names
                    if h.startswith(name + ':') and h[len(name) + 1:].isdigit() and not served:
                        ctx.findings.add('certs-d-dir-never-matches', [ctx.cite_key(hosts_path, index, keypath)], (
                            '%s configures %s, but images named %s/... are looked up in %s_%s_ or %s, never in '
                            '%s.' % (hosts_path, h, h, name, h.split(':')[1], h, sub)))
                        break
        wanted = set(k for k in mirrors if k != '*')
        wanted.update(image_registry(i) for i in ctx.settings.get('verify_images') or [])
        for reg in sorted(r for r in wanted if r and ':' in r):
            host, port = reg.rsplit(':', 1)
            if host in names and reg not in names and '%s_%s_' % (host, port) not in names:
                ctx.findings.add('certs-d-dir-never-matches', ['%s: directory' % posixpath.join(root, host)], (
                    'Images from %s are looked up in %s_%s_ or %s, but %s only has a %s directory, which '
                    'never matches a registry with a port.' % (reg, host, port, reg, root, host)))


def check(ctx, models):
    check_certs_d(ctx, models.certs_roots if models.containerd_in_use() else None)
