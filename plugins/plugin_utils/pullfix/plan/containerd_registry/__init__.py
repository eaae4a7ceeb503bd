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
import json
import posixpath

from ... import parse
from .. import PlanError, change, file_state, finish, new_plan, sha256_text, state_reason
from ..owned import is_ours, not_ours, nothing_to_do, owned_file
from ..settings import SETTING, planner_inputs, validate_mirrors
from ...evidence import redact_url, url_host
from ...facts import containerd as facts
from ...facts.k3s import GENERATED_HEADER
from .config_toml import edit_config
from .hosts_toml import MIGRATED, entry as host_entry, hosts_layout, render_hosts_toml

ROLE = 'containerd_registry'
VALIDATE_CONFIG = ['containerd', '--config', '%s', 'config', 'dump']


def _basic_auth(userinfo):
    """Authorization header value for a URL's userinfo (Go's HTTP client sends it as basic auth)."""
    return 'Basic ' + base64.b64encode(userinfo.encode('utf-8')).decode('ascii')


def _spec(endpoints, headers=None):
    return {'endpoints': endpoints, 'fallback': True, 'server': None, 'ca': None, 'client': None,
            'skip_verify': False, 'headers': headers or {}}


def _migrated_specs(mirrors, tls, user):
    """Settings-shaped specs for deprecated mirrors / tls of registries the user did not declare.

    ``mirrors``: {registry: [(url, userinfo or None)]} as edit_config found them. A password in a
    mirror URL moves into an Authorization header (hosts.toml is then written 0600), never into
    a URL of a world-readable file.
    """
    specs = {}
    for registry in sorted(mirrors):
        if registry in user:
            continue
        up = facts.upstream(registry)
        eps = []
        headers = {}
        for url, userinfo in mirrors[registry]:
            if userinfo:
                headers['Authorization'] = _basic_auth(userinfo)
            if url != up and url not in eps:
                eps.append(url)
        if eps:
            specs[registry] = _spec(eps, headers)
    used = set()
    for registry, spec in list(user.items()) + list(specs.items()):
        for url in spec['endpoints'] + [spec.get('server') or facts.upstream(registry) or '']:
            used.add(url_host(url))
    for name in sorted(tls):
        if name and name not in used and name not in user and name not in specs and name != '*':
            specs[name] = _spec([])
    return specs


def _held_secrets(text):
    """(header values, holds credentials) of a hosts.toml already on the node: its old text is shown
    in diffs and kept as a backup, so its credentials are masked too."""
    if not text:
        return [], False
    try:
        data = parse.load_toml(text.lstrip('\ufeff'))[0]
    except parse.ParseError:
        return [], 'header' in text or 'Authorization' in text
    tables = [data] + [h for h in (data.get('host') or {}).values() if isinstance(h, dict)] \
        if isinstance(data.get('host') or {}, dict) else [data]
    out = []
    for table in tables:
        header = table.get('header')
        for value in (header.values() if isinstance(header, dict) else []):
            out.extend(str(v) for v in (value if isinstance(value, list) else [value]) if isinstance(v, (str, int, float)))
    return out, bool(out)


def _secrets(hosts, server):
    """Header values of the entries (credentials, never shown)."""
    out = []
    for e in hosts + ([server] if server else []):
        for value in (e.get('headers') or {}).values():
            out.extend(value if isinstance(value, list) else [value])
    return out


def _closure_error(result, text):
    result['errors'].append(text + '. Nothing planned for containerd')
    return None


def config_closure(ev, main, result, version=None):
    """containerd's config files in load order: [(path, text, data)], or None after an error.

    The main file may be missing (text None); an import must exist, be read whole and parse.
    """
    known = [p for p in ev.paths_by_why('containerd-config') if file_state(ev, p)[0] != 'missing']
    order, seen = [], set()
    pending = [(main, None, 0)]
    while pending:
        path, origin, depth = pending.pop(0)
        if path in seen:
            continue
        seen.add(path)
        state, text = file_state(ev, path)
        if origin is None and state == 'missing':
            order.append((path, None, {}))
            continue
        if state == 'missing':
            return _closure_error(result, '%s: imports %s, which does not exist: containerd does not start with this '
                                          'configuration ("open %s: no such file or directory"); create it or remove '
                                          'the entry' % (origin, json.dumps(path), path))
        if state != 'file':
            imported = '' if origin is None else ' (imported at %s)' % origin
            return _closure_error(result, '%s: %s%s' % (path, state_reason(ev, path, state), imported))
        source = text.lstrip('\ufeff').replace('\r\n', '\n')
        try:
            data, index = parse.load_toml(source)
        except parse.ParseError as exc:
            if origin is None:  # edit_config reports it
                order.append((path, text, {}))
                continue
            return _closure_error(result, '%s:%s: %s (imported at %s)' % (path, exc.line or '?', exc.message, origin))
        order.append((path, text, data))
        imports = data.get('imports')
        if imports is None:
            continue
        where = '%s:%s' % (path, parse.line_of(index, ('imports',)) or '?')
        if not isinstance(imports, list) or not all(isinstance(i, str) and i for i in imports):
            return _closure_error(result, '%s: imports is not an array of file paths' % where)
        if imports and depth + 1 > facts.IMPORT_DEPTH_GATHERED:
            return _closure_error(result, '%s: imports nested more than %d levels deep, beyond what was gathered' % (
                where, facts.IMPORT_DEPTH_GATHERED))
        for entry in imports:
            if facts.IMPORT_GLOB in entry and not entry.startswith('/') and not facts.relative_glob_joined(version):
                return _closure_error(result, '%s: imports %s: containerd %s resolves a relative glob against its '
                                              'working directory (/ under systemd), not against %s; write an absolute '
                                              'pattern' % (where, json.dumps(entry),
                                                           '%d.%d.%d' % version if version else '(version unknown)',
                                                           posixpath.dirname(path)))
            targets, _glob = facts.import_targets(path, entry, known)
            for target in targets:
                if target in seen:
                    result['notes'].append('%s: imports %s again: containerd loads each file once and skips it' % (
                        where, target))
                pending.append((target, where, depth + 1))
    return order


def _cri_owner(order, version):
    """Path of the last file (in load order) whose plugin table holds the registry, or None."""
    owner = None
    for path, _text, data in order:
        plugins = data.get('plugins') if isinstance(data, dict) else None
        if isinstance(plugins, dict) and any(k in plugins for k in facts.cri_owner_keys(version)):
            owner = path
    return owner


def edit_configs(ev, path, version, sandbox, result, systemd_cgroup=None):
    """Edits of config.toml and its imports: (owner edit, [(path, text, edit)]), or (None, None) after an error."""
    major = facts.major(version)
    order = config_closure(ev, path, result, version)
    if order is None:
        return None, None
    main_version = order[0][2].get('version', 1) if order[0][1] is not None else None
    owner = path
    if len(order) > 1:
        if main_version in (None, 1) or isinstance(main_version, bool):
            result['errors'].append('%s: a version 1 configuration with imports: kubenode.pullfix converts a single '
                                    'file only; convert it and its imports to version 2 by hand. Nothing planned for '
                                    'containerd' % path)
            return None, None
        owner = _cri_owner(order, main_version) or path
        if owner != path:
            owner_version = dict((p, d) for p, _t, d in order)[owner].get('version', 1)
            if owner_version != main_version:
                result['errors'].append('%s: holds the CRI plugin table that replaces the one of %s (imports), but has '
                                        'version = %s where %s has version = %s; make them agree by hand. Nothing '
                                        'planned for containerd' % (owner, path, owner_version, path, main_version))
                return None, None
            if _cri_owner(order[:1], main_version):
                result['notes'].append('%s: its CRI plugin table is replaced whole by the one in %s (imports): settings '
                                       'there are ignored by containerd; config_path is written in %s' % (path, owner, owner))
    edits = []
    owner_edit = None
    for fpath, text, _data in order:
        mine = fpath == owner
        edit = edit_config(text, major, facts.CERTS_D, sandbox if mine else None, fpath, registry=mine,
                           systemd_cgroup=systemd_cgroup if mine else None)
        if edit['errors']:
            result['errors'].extend(edit['errors'])
            return None, None
        if mine and edit['text'] is not None:
            refusals = facts.cri_load_refusals(parse.load_toml(edit['text'].lstrip('\ufeff'))[0], version)
            if refusals:
                result['errors'].append('%s: the planned file would still be refused by the CRI plugin (%s); nothing '
                                        'planned for containerd' % (fpath, '; '.join(refusals)))
                return None, None
        edits.append((fpath, text, edit))
        if mine:
            owner_edit = edit
    return owner_edit, edits


def check_settings(settings):
    """The role's settings checked before anything is planned; returns the normalized mirrors.
    Raises PlanError naming the variable."""
    mirrors = validate_mirrors(settings.get('registry_mirrors'))
    sandbox = settings.get('sandbox_image')
    if sandbox is not None and (not isinstance(sandbox, str) or not sandbox.strip() or any(c.isspace() for c in sandbox)):
        raise PlanError('pullfix_sandbox_image: %s is not an image reference' % redact_url(repr(sandbox)))
    cgroup = settings.get('systemd_cgroup')
    if cgroup not in (None, '', 'auto') and not isinstance(cgroup, bool):
        raise PlanError('pullfix_containerd_systemd_cgroup: %r is not true, false, "auto" or null' % (cgroup,))
    takeover = settings.get('registry_takeover', True)
    if not isinstance(takeover, bool):
        raise PlanError('pullfix_registry_takeover: %r is not a boolean (expected true or false)' % (takeover,))
    return mirrors


def systemd_cgroup_wanted(ev, value):
    """runc's SystemdCgroup as the setting asks: true/false, "auto" (true when systemd is the init,
    answered systemctl during the evidence), None (leave the file as it is)."""
    if value is None or value == '':
        return None
    if value == 'auto':
        return bool(ev.systemd_available)
    if isinstance(value, bool):
        return value
    raise PlanError('pullfix_containerd_systemd_cgroup: %r is not true, false, "auto" or null' % (value,))


def plan_hosts_toml(ev, registry, spec, ctx, result):
    """One registry's hosts.toml (``ctx``: certs_dir, tls, path, version, takeover). Returns its
    certs.d directory name."""
    name = facts.host_dir_name(registry)
    target = posixpath.join(ctx['certs_dir'], name, 'hosts.toml')
    path = ctx['path']
    if spec['endpoints']:
        hosts, server = hosts_layout(registry, spec, ctx['tls'])
    else:  # tls settings only (from the deprecated configs): they apply to the upstream itself
        hosts, server = [], host_entry(facts.upstream(registry), None, ctx['tls'])
    content = render_hosts_toml(registry, hosts, server, path if spec['migrated'] else None)
    secrets = _secrets(hosts, server)
    if registry == '*' and not facts.supports_default_dir(ctx['version']):
        result['notes'].append('containerd %s ignores %s: the "*" (_default) directory needs 1.6.17 or later; '
                               'upgrade containerd or list the registries one by one' % (
                                   '%d.%d.%d' % ctx['version'], target))
    if ':' in registry:
        shadow = posixpath.join(ctx['certs_dir'], facts.host_dir_candidates(registry)[0])
        if ev.dir_type(shadow) not in (None, 'missing') or file_state(ev, shadow + '/hosts.toml')[0] != 'missing':
            result['errors'].append('%s: exists and wins containerd\'s lookup over %s; remove or rename it' % (shadow, target))
            return name
    dir_kind = ev.dir_type(posixpath.dirname(target))
    if dir_kind not in (None, 'missing', 'dir', 'symlink'):
        result['errors'].append('%s: is a %s, not a directory; %s cannot be written' % (
            posixpath.dirname(target), dir_kind, target))
        return name
    fstate, current = file_state(ev, target)
    if fstate == 'file' and GENERATED_HEADER in current[:400]:
        result['errors'].append('%s:1: carries "%s"; k3s rewrites it at start: not replaced' % (target, GENERATED_HEADER))
        return name
    ours = fstate == 'file' and is_ours(current)
    if fstate == 'file' and not ours and spec['migrated']:
        result['notes'].append(not_ours(target, 'the deprecated mirrors of %s for %s were not merged into it' % (
            path, registry)))
        return name
    held, held_any = _held_secrets(current if fstate == 'file' else None)
    result['secrets'].extend(held)
    if spec['migrated']:
        what = 'migrated from %s registry.mirrors/configs' % path
    elif fstate == 'file' and not ours:
        what = 'mirrors for %s, replacing a file kubenode.pullfix did not write (backup kept)' % registry
    else:
        what = 'mirrors for %s' % registry
    if owned_file(ev, target, content, 'hosts.toml %s' % what, ROLE, result, mode='0600' if secrets else '0644',
                  secret=bool(secrets or held_any), takeover=ctx['takeover'], enforce_mode=True,
                  advice='pullfix_registry_takeover is false: merge the %s mirror into it by hand or remove '
                         'it' % registry) == 'planned':
        result['secrets'].extend(secrets)
    return name


def remove_stale_hosts_toml(ev, certs_dir, wanted, result):
    """Files we own whose registry left the settings."""
    for entry in ev.dir_entries(certs_dir) or []:
        name = entry.get('name')
        if entry.get('type') not in ('dir', 'symlink') or name in wanted:
            continue
        target = posixpath.join(certs_dir, name, 'hosts.toml')
        fstate, current = file_state(ev, target)
        if fstate == 'file' and is_ours(current, ROLE) and '\n' + MIGRATED.split('%s', 1)[0] not in current:
            held, held_any = _held_secrets(current)
            result['secrets'].extend(held)
            result['changes'].append(change(target, 'remove', None, 'registry %s no longer in %s' % (name, SETTING),
                                            ROLE, remove_empty_parent=True, expect=sha256_text(current),
                                            secret=held_any))


def plan_containerd(ev, runtime, settings, mirrors, result):
    version = facts.version_of(ev, runtime)
    path = facts.config_file(ev)
    edit, edits = edit_configs(ev, path, version, settings.get('sandbox_image'), result,
                               systemd_cgroup_wanted(ev, settings.get('systemd_cgroup')))
    if edit is None:
        return result
    for _p, _t, e in edits:
        result['notes'].extend(e['notes'])
        result['secrets'].extend(e['secrets'])
    specs = dict((r, dict(s, migrated=False)) for r, s in mirrors.items())
    for registry, spec in _migrated_specs(edit['mirrors'], edit['tls'], mirrors).items():
        specs[registry] = dict(spec, migrated=True)
    ctx = {'certs_dir': edit['certs_dir'], 'tls': edit['tls'], 'path': path, 'version': version,
           'takeover': settings.get('registry_takeover', True) is not False}
    wanted = set(plan_hosts_toml(ev, registry, specs[registry], ctx, result) for registry in sorted(specs))
    remove_stale_hosts_toml(ev, edit['certs_dir'], wanted, result)
    for fpath, text, e in edits:
        if e['text'] == text:
            continue
        # mode None keeps the file's own (a config.toml holding configs.*.auth stays 0600).
        result['changes'].append(change(fpath, 'update' if text is not None else 'create', e['text'],
                                        'config.toml: ' + '; '.join(e['reasons'] or ['updated']), ROLE,
                                        validate=VALIDATE_CONFIG, restart='containerd',
                                        secret=bool(e['auth_hosts'] or e['secrets']), expect=sha256_text(text)))
    return result


def plan(ev, diagnosis, settings):
    """Plan the containerd_registry role. Raises PlanError on invalid settings (before planning)."""
    ev, diagnosis, runtime, settings = planner_inputs(ev, diagnosis, settings)
    mirrors = check_settings(settings)
    result = new_plan()
    name = runtime.get('name') or 'containerd'
    if name in ('k3s', 'rke2'):
        from .k3s import plan_registries_yaml
        return finish(plan_registries_yaml(ev, runtime, settings, mirrors, result))
    if name in ('containerd', 'docker'):
        return finish(plan_containerd(ev, runtime, settings, mirrors, result))
    result['notes'].append(nothing_to_do('runtime %s' % name, 'it reads no containerd registry configuration'))
    return finish(result)
