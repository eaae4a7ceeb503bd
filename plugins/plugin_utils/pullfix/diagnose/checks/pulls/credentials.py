# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of containerd-registry-auth-ignored, containerd-mirror-credentials-missing: catalogue entries
and user text, the check and the cases (see diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import posixpath

from ....facts import containerd as ctd
from ....facts import credentials as cfacts
from ...catalogue import CONTAINERD, MANUAL, case, finding
from . import config_docs, containerd_version

CREDENTIAL_PROVIDER_FLAG = '--image-credential-provider-config'

FINDINGS = {
    'containerd-registry-auth-ignored': finding(
        'warning', 'Registry credentials sit in a table this config version does not read: containerd pulls without them',
        MANUAL, 'pull',
        applies_to='containerd 2.x with a version 3 file (kubespray >= 2.28.0 drops containerd_registry_auth for containerd >= 2.0); any '
                   'file whose `registry.configs.<host>.auth` is under another plugin id than its version reads',
        doc="""`[plugins."<id>".registry.configs."<host>".auth]` is under a plugin id the file's `version` does not read: in a version 3 \
file the version 2 id `io.containerd.grpc.v1.cri` is the CRI gRPC plugin, which has no `registry` (v2.1.0 plugins/cri/cri.go 47-48), so \
containerd ignores the credentials without a word. Pulls of that registry go out anonymous: `pull access denied`, `no basic auth \
credentials`, `401 Unauthorized`. A warning on its own (the registry may allow anonymous pulls, or kubelet may send credentials); a \
verification pull refused with 401/403 by that host is reported as `pull-unauthorized` caused by this finding. Next step: move the table \
under `[plugins."io.containerd.cri.v1.images".registry.configs."<host>".auth]` (version 3) in a 0600 file, or better (not deprecated) send \
an `Authorization` header from the host's hosts.toml (`pullfix_registry_mirrors.<registry>.headers`, written 0600). A kubespray-managed \
config.toml is the user's: set the credentials through kubespray, never by editing its output (kubespray#12296, #12575).
""",
        error_text="""failed to pull and unpack image "registry.example.org/team/app:1": failed to resolve reference \
"registry.example.org/team/app:1": pull access denied, repository does not exist or may require authorization: server message: \
insufficient_scope: authorization failed""",
        example='/etc/containerd/config.toml:4 [plugins."io.containerd.grpc.v1.cri".registry.configs."registry.example.org".auth] '
                '(version 3 reads io.containerd.cri.v1.images)'),
    'containerd-mirror-credentials-missing': finding(
        'warning', "A mirror of a registry whose pulls carry credentials has none of its own",
        CONTAINERD, 'pull',
        applies_to='containerd 1.6-2.3 (no fix upstream: containerd#10540, #10996 open); a hosts.toml mirror for a registry with '
                   'registry.configs.<registry>.auth or a kubelet credential provider',
        doc="""Pulls of the registry carry credentials (`registry.configs."<registry>".auth`, or kubelet's credential provider / \
imagePullSecret), but the mirror in its hosts.toml has no `Authorization` header and there is no `registry.configs."<mirror>".auth`. \
containerd gives kubelet's credentials only to the host their server address names and reads `configs."<mirror>".auth` only when kubelet \
sent none (v2.3.4 internal/cri/server/images/image_pull.go 105-114, 341-354), so a mirror that wants credentials answers 401/403 \
(bottlerocket#4422) and containerd falls back to the upstream, or fails when the mirror is the only route. A warning: pulls work through the \
fallback; a refused verification pull is `pull-unauthorized`, caused by this finding. Next step: give the mirror static credentials, an \
`Authorization` header in its `[host."<mirror>".header]` (`pullfix_registry_mirrors.<registry>.headers`: kubenode.pullfix.containerd_registry \
writes it into a 0600 hosts.toml, read at every pull), or `registry.configs."<mirror>".auth` in the table the config version reads.
""",
        error_text="""failed to resolve reference "docker.io/library/nginx:1.27": unexpected status from HEAD request to \
https://mirror.example.com/v2/library/nginx/manifests/1.27?ns=docker.io: 403 Forbidden""",
        example="""/etc/containerd/certs.d/docker.io/hosts.toml:3 [host."https://mirror.example.com"]
/etc/containerd/config.toml:12 [plugins."io.containerd.grpc.v1.cri".registry.configs."docker.io".auth]"""),
}


def _url_host(url):
    rest = str(url).split('://', 1)[-1]
    return rest.split('/', 1)[0]


def _as_read(ctx, data):
    """``data`` with the version containerd reads it as: 2.x migrates a version-less file whose tables are
    named by URI (a Talos part), as the containerd config model does."""
    if data.get('version') is None and ctd.migrates_versionless(containerd_version(ctx)):
        plugins = data.get('plugins') if isinstance(data.get('plugins'), dict) else {}
        if isinstance(plugins.get(ctd.IMAGES_V3), dict):
            return dict(data, version=3)
        if isinstance(plugins.get(ctd.CRI_V2), dict):
            return dict(data, version=2)
    return data


def lost_auth(ctx):
    """[(cite, host, read plugin id)] of registry auth tables containerd does not read."""
    out = []
    for path, data, index in config_docs(ctx):
        for keypath, host, want in cfacts.misplaced_auth(_as_read(ctx, data)):
            out.append((ctx.cite_key(path, index, keypath), host, want))
    return out


def read_auth(ctx):
    """{host: cite} of registry auth tables containerd reads."""
    out = {}
    for path, data, index in config_docs(ctx):
        data = _as_read(ctx, data)
        for host in cfacts.read_auth_hosts(data):
            version = data.get('version') if isinstance(data.get('version'), int) else 1
            out[host] = ctx.cite_key(path, index, ('plugins', cfacts.readable_plugin(version), 'registry', 'configs', host, 'auth'))
    return out


def _credential_provider(ctx):
    """The kubelet flag naming a credential provider config, as evidence, or None."""
    for proc in ctx.ev.raw.get('processes') or ():
        if proc.get('name') == 'kubelet':
            for arg in proc.get('cmdline') or ():
                if str(arg).startswith(CREDENTIAL_PROVIDER_FLAG):
                    return 'kubelet process %s: %s' % (proc.get('pid'), arg)
    text = ctx.ev.text('/var/lib/kubelet/kubeadm-flags.env') if ctx.ev.file('/var/lib/kubelet/kubeadm-flags.env') else None
    if text and CREDENTIAL_PROVIDER_FLAG in text:
        return '/var/lib/kubelet/kubeadm-flags.env: %s' % CREDENTIAL_PROVIDER_FLAG
    return None


def uncredentialed_mirrors(ctx, models):
    """[(registry, mirror host, [evidence])] of mirrors without credentials of their own for a registry
    whose pulls carry credentials."""
    docs = config_docs(ctx)
    if not docs:
        return []
    auths = read_auth(ctx)
    provider = _credential_provider(ctx)
    registries = set(auths)
    if provider:
        registries.update(r.get('registry') for r in models.runtime_routes or () if r.get('registry'))
    out = []
    for registry in sorted(registries):
        for root in models.certs_roots or ():
            path = posixpath.join(root, registry, 'hosts.toml')
            r = ctx.ev.parsed(path, 'toml') if ctx.ev.file(path) else None
            if not r or r[2] is not None or not isinstance(r[0], dict):
                continue
            data, index = r[0], r[1]
            hosts = data.get('host') if isinstance(data.get('host'), dict) else {}
            for url, table in hosts.items():
                mirror = _url_host(url)
                if not isinstance(table, dict) or mirror in (registry, 'registry-1.docker.io' if registry == 'docker.io' else registry):
                    continue
                header = table.get('header') if isinstance(table.get('header'), dict) else {}
                if any(str(k).lower() == 'authorization' for k in header) or mirror in auths:
                    continue
                evidence = [ctx.cite_key(path, index, ('host', url))]
                evidence.append(auths[registry] if registry in auths else provider)
                out.append((registry, mirror, evidence))
            break  # the first root with the registry's directory is the one containerd reads
    return out


def next_step(ctx, models, fid, finding):
    """containerd_registry writes the mirror's Authorization header only when the user declared it."""
    if fid != 'containerd-mirror-credentials-missing':
        return None
    declared = ctx.settings.get('registry_mirrors') or {}
    left = []
    for registry, _mirror, _evidence in uncredentialed_mirrors(ctx, models):
        headers = (declared.get(registry) or {}).get('headers') if isinstance(declared.get(registry), dict) else None
        if not (isinstance(headers, dict) and any(str(k).lower() == 'authorization' for k in headers)) and registry not in left:
            left.append(registry)
    if not left:
        return None
    return ('set pullfix_registry_mirrors.%s.headers.Authorization (kubenode.pullfix.containerd_registry writes it into the '
            'mirror\'s 0600 hosts.toml), or registry.configs."<mirror>".auth by hand' % left[0] if len(left) == 1 else
            'set pullfix_registry_mirrors.<registry>.headers.Authorization for %s (kubenode.pullfix.containerd_registry writes '
            'it into each mirror\'s 0600 hosts.toml)' % ', '.join(left))


def cause_of_unauthorized(ctx, models, host):
    """The finding id that explains a 401/403 from ``host``, or None."""
    if any(h == host for _c, h, _w in lost_auth(ctx)):
        return 'containerd-registry-auth-ignored'
    if any(m == host for _r, m, _e in uncredentialed_mirrors(ctx, models)):
        return 'containerd-mirror-credentials-missing'
    return None


def check(ctx, models):
    for cite, host, want in lost_auth(ctx):
        ctx.findings.add('containerd-registry-auth-ignored', [cite],
                         'containerd does not read the credentials for %s: this file\'s version reads '
                         '[plugins."%s".registry.configs."%s".auth], so pulls from %s go out without them. Move them there '
                         '(0600 file) or send an Authorization header from its hosts.toml '
                         '(pullfix_registry_mirrors.%s.headers).' % (host, want, host, host, host))
    for registry, mirror, evidence in uncredentialed_mirrors(ctx, models):
        ctx.findings.add('containerd-mirror-credentials-missing', evidence,
                         'Pulls of %s carry credentials, but its mirror %s has none of its own: containerd does not hand '
                         '%s\'s credentials to %s. If the mirror wants them, it answers 401/403 and containerd falls back to '
                         'the upstream (or fails without fallback). Set pullfix_registry_mirrors.%s.headers '
                         '(Authorization, written into a 0600 hosts.toml) or registry.configs."%s".auth.' % (
                             registry, mirror, registry, mirror, registry, mirror))


_LOST = 'version = 3\n[plugins."%s".registry.configs."registry.example.org".auth]\n  username = "u"\n  password = "p"\n'
_AUTH = ('version = 2\n[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'
         '[plugins."io.containerd.grpc.v1.cri".registry.configs."docker.io".auth]\n  username = "u"\n  password = "p"\n')
_MIRROR = 'server = "https://registry-1.docker.io"\n\n[host."https://mirror.example.com"]\n  capabilities = ["pull", "resolve"]\n'


def _lost(plugin):
    def build(ev, h):
        h.set_containerd_version(ev, '2.1.9')
        h.with_file(ev, '/etc/containerd/config.toml', _LOST % plugin, 'containerd-config')
    return build


def _mirror(extra):
    def build(ev, h):
        h.with_file(ev, '/etc/containerd/config.toml', _AUTH, 'containerd-config')
        h.with_hosts(ev, '/etc/containerd/certs.d', 'docker.io', _MIRROR + extra)
    return build


CASES = {
    'containerd-registry-auth-ignored': (case(_lost('io.containerd.grpc.v1.cri')), case(_lost('io.containerd.cri.v1.images'))),
    'containerd-mirror-credentials-missing': (
        case(_mirror(''), expect={'remediation': 'manual', 'next_step': 'pullfix_registry_mirrors.docker.io.headers.Authorization'}),
        case(_mirror('  [host."https://mirror.example.com".header]\n    Authorization = "Basic dTpw"\n'))),
}
