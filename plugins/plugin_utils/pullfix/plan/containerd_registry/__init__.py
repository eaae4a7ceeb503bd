# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Planner of the ``kubenode.pullfix.containerd_registry`` role (pure, no Ansible imports).

``plan(ev, runtime, settings)`` returns the files to write so that containerd (or k3s/RKE2,
see ``k3s``) uses the user's registry mirrors: ``certs.d/<host>/hosts.toml`` files written
whole, and a minimal, comment-keeping edit of ``config.toml`` (``config_path``, deprecated
``mirrors``/``configs.tls`` migrated, CRI not disabled, sandbox image).

Registries the user declares in ``pullfix_registry_mirrors`` are the collection's: a hosts.toml
someone else wrote for one of them is replaced (the apply step keeps a backup), unless
``registry_takeover`` is false. Files of registries the user did not declare are never touched.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import posixpath

try:
    from urllib.parse import urlsplit, urlunsplit
except ImportError:  # pragma: no cover - Python 2 sanity runs
    from urlparse import urlsplit, urlunsplit

from .. import PlanError, change, file_state, is_owned, new_plan, sha256_text, state_reason
from ..settings import SETTING, plain, validate_mirrors
from ...evidence import Evidence, redact_url, url_host
from ...facts import containerd as facts
from .config_toml import edit_config
from .hosts_toml import MARKER, MIGRATED, entry as host_entry, hosts_layout, render_hosts_toml

ROLE = 'containerd_registry'
VALIDATE_CONFIG = ['containerd', '--config', '%s', 'config', 'dump']


def _split_userinfo(url):
    """(url without userinfo, Authorization header value or None) for a deprecated mirror URL.

    Go's HTTP client sends a URL's userinfo as basic auth; a header in a 0600 hosts.toml keeps
    that behaviour without writing the password into a world-readable URL.
    """
    parts = urlsplit(url)
    if '@' not in parts.netloc:
        return url, None
    userinfo, _sep, hostport = parts.netloc.rpartition('@')
    token = base64.b64encode(userinfo.encode('utf-8')).decode('ascii')
    return urlunsplit((parts.scheme, hostport, parts.path, parts.query, parts.fragment)), 'Basic ' + token


def _spec(endpoints, headers=None):
    return {'endpoints': endpoints, 'fallback': True, 'server': None, 'ca': None, 'client': None,
            'skip_verify': False, 'headers': headers or {}}


def _migrated_specs(mirrors, tls, user, major):
    """Settings-shaped specs for deprecated mirrors / tls of registries the user did not declare."""
    specs = {}
    for host in sorted(mirrors):
        registry = '*' if host == '*' else host
        if registry in user:
            continue
        up = facts.upstream(registry)
        eps = []
        headers = {}
        for url in mirrors[host]:
            url = url.strip().rstrip('/')
            if not url:
                continue
            if '://' not in url:
                # containerd 1.x meant http for a scheme-less loopback mirror, https otherwise.
                loopback = url_host('http://' + url).split(':')[0] in ('localhost', '127.0.0.1', '[::1]')
                url = ('http://' if loopback and major < 2 else 'https://') + url
            url, auth = _split_userinfo(url)
            if auth:
                headers['Authorization'] = auth
            if url != up and url not in eps:
                eps.append(url)
        if eps:
            specs[registry] = _spec(eps, headers)
    used = set()
    for registry, spec in list(user.items()) + list(specs.items()):
        for url in spec['endpoints'] + [spec.get('server') or facts.upstream(registry) or '']:
            used.add(url_host(url))
    for host in sorted(tls):
        # configs."<host>" keys are host names; some configs write a URL there.
        name = url_host(host) if '://' in host else host
        if name and name not in used and name not in user and name not in specs and name != '*':
            specs[name] = _spec([])
            specs[name]['tls_key'] = host
    return specs


def _secrets(hosts, server):
    """Header values of the entries (credentials, never shown)."""
    out = []
    for e in hosts + ([server] if server else []):
        for value in (e.get('headers') or {}).values():
            out.extend(value if isinstance(value, list) else [value])
    return out


def plan_containerd(ev, runtime, settings, mirrors, result):
    version = facts.version_of(ev, runtime)
    major = facts.major(version)
    path = facts.config_file(ev)
    state, text = file_state(ev, path)
    if state not in ('missing', 'file'):
        result['errors'].append('%s: %s; nothing planned for containerd' % (path, state_reason(ev, path, state)))
        return result
    edit = edit_config(text, major, facts.CERTS_D, settings.get('sandbox_image'), path)
    if edit['errors']:
        result['errors'].extend(edit['errors'])
        return result
    result['notes'].extend(edit['notes'])
    certs_dir = edit['certs_dir']
    takeover = settings.get('registry_takeover', True) is not False

    specs = dict((r, dict(s, migrated=False)) for r, s in mirrors.items())
    for registry, spec in _migrated_specs(edit['mirrors'], edit['tls'], mirrors, major).items():
        specs[registry] = dict(spec, migrated=True)

    wanted = {}
    for registry in sorted(specs):
        spec = specs[registry]
        name = facts.host_dir_name(registry)
        target = posixpath.join(certs_dir, name, 'hosts.toml')
        tls = edit['tls']
        if spec.get('tls_key'):
            tls = dict(tls, **{registry: tls[spec['tls_key']]})
        if spec['endpoints']:
            hosts, server = hosts_layout(registry, spec, tls)
        else:  # tls settings only (from the deprecated configs): they apply to the upstream itself
            hosts, server = [], host_entry(facts.upstream(registry), None, tls)
        content = render_hosts_toml(registry, hosts, server, path if spec['migrated'] else None)
        secrets = _secrets(hosts, server)
        wanted[name] = target
        if registry == '*' and not facts.supports_default_dir(version):
            result['notes'].append('containerd %s ignores %s: the "*" (_default) directory needs 1.6.17 or later; '
                                   'upgrade containerd or list the registries one by one' % ('%d.%d.%d' % version, target))
        if ':' in registry:
            shadow = posixpath.join(certs_dir, facts.host_dir_candidates(registry)[0])
            if ev.dir_type(shadow) not in (None, 'missing') or file_state(ev, shadow + '/hosts.toml')[0] != 'missing':
                result['errors'].append('%s: exists and wins containerd\'s lookup over %s; remove or rename it' % (shadow, target))
                continue
        dir_kind = ev.dir_type(posixpath.dirname(target))
        if dir_kind not in (None, 'missing', 'dir', 'symlink'):
            result['errors'].append('%s: is a %s, not a directory; %s cannot be written' % (
                posixpath.dirname(target), dir_kind, target))
            continue
        fstate, current = file_state(ev, target)
        if fstate not in ('missing', 'file'):
            result['errors'].append('%s: %s; not replaced' % (target, state_reason(ev, target, fstate)))
            continue
        ours = fstate == 'file' and is_owned(current, MARKER)
        if fstate == 'file' and not ours and (spec['migrated'] or not takeover):
            if spec['migrated']:
                result['notes'].append('%s: exists and is not managed by kubenode.pullfix; the deprecated mirrors of '
                                       '%s for %s were not merged into it' % (target, path, registry))
            else:
                result['errors'].append('%s: exists and is not managed by kubenode.pullfix, and '
                                        'pullfix_registry_takeover is false; merge the %s mirror into it by hand '
                                        'or remove it' % (target, registry))
            continue
        mode = '0600' if secrets else '0644'
        if ours and current == content and ((ev.file(target) or {}).get('stat') or {}).get('mode') in (None, mode):
            continue
        if spec['migrated']:
            what = 'migrated from %s registry.mirrors/configs' % path
        elif fstate == 'file' and not ours:
            what = 'mirrors for %s, replacing a file kubenode.pullfix did not write (backup kept)' % registry
        else:
            what = 'mirrors for %s' % registry
        result['changes'].append(change(target, 'update' if fstate == 'file' else 'create', content,
                                        'hosts.toml %s' % what, ROLE, mode=mode, secret=bool(secrets),
                                        expect=sha256_text(current)))
        result.setdefault('secrets', []).extend(secrets)

    # Stale files we own whose registry left the settings.
    for entry in ev.dir_entries(certs_dir) or []:
        name = entry.get('name')
        if entry.get('type') not in ('dir', 'symlink') or name in wanted:
            continue
        target = posixpath.join(certs_dir, name, 'hosts.toml')
        fstate, current = file_state(ev, target)
        if fstate == 'file' and is_owned(current, MARKER) and '\n' + MIGRATED.split('%s', 1)[0] not in current:
            result['changes'].append(change(target, 'remove', None, 'registry %s no longer in %s' % (name, SETTING),
                                            ROLE, remove_empty_parent=True, expect=sha256_text(current)))

    if edit['text'] != text:
        secret = bool(edit['auth_hosts'])
        result['changes'].append(change(path, 'update' if text is not None else 'create', edit['text'],
                                        'config.toml: ' + '; '.join(edit['reasons'] or ['updated']), ROLE,
                                        validate=VALIDATE_CONFIG, restart='containerd', secret=secret,
                                        expect=sha256_text(text)))
    return result


def plan(ev, runtime, settings):
    """Plan the containerd_registry role. Raises PlanError on invalid settings (before planning)."""
    ev = ev if isinstance(ev, Evidence) else Evidence(ev)
    settings = plain(settings or {}, 'settings')
    runtime = runtime or {}
    mirrors = validate_mirrors(settings.get('registry_mirrors'))
    sandbox = settings.get('sandbox_image')
    if sandbox is not None and (not isinstance(sandbox, str) or not sandbox.strip() or any(c.isspace() for c in sandbox)):
        raise PlanError('pullfix_sandbox_image: %s is not an image reference' % redact_url(repr(sandbox)))
    takeover = settings.get('registry_takeover', True)
    if not isinstance(takeover, bool):
        raise PlanError('pullfix_registry_takeover: %r is not a boolean (expected true or false)' % (takeover,))
    result = new_plan()
    name = runtime.get('name') or 'containerd'
    if name in ('k3s', 'rke2'):
        from .k3s import plan_registries_yaml
        return plan_registries_yaml(ev, runtime, settings, mirrors, result)
    if name in ('containerd', 'docker'):
        return plan_containerd(ev, runtime, settings, mirrors, result)
    result['notes'].append('runtime %s: kubenode.pullfix.containerd_registry has nothing to do' % name)
    return result
