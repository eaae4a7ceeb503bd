# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Planner of the ``kubenode.pullfix.registries_conf`` role (pure, no Ansible imports).

containers-image (CRI-O, podman, skopeo) reads /etc/containers/registries.conf, then every
registries.conf.d/*.conf in lexical order; a later file replaces a key whole. The user's
search order, short-name mode, aliases and mirrors go into ONE drop-in the collection owns,
named so that it is read after every file that sets the same keys (CRI-O's packaged
crio.conf included). Vendor files are never edited; the exception is a v1-format drop-in,
which makes every pull fail and is converted to v2 in place (backup kept). A v1-only main
file is converted only when ``registries_conf_convert_v1`` is true.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import posixpath

from ... import parse
from .. import PlanError, change, file_state, finish, new_plan, sha256_text, state_reason
from ..owned import is_ours, marker, owned_file
from ..settings import planner_inputs, validate_mirrors
from ...evidence import parse_version
from ...facts import containers_image as facts

try:
    from urllib.parse import urlsplit
except ImportError:  # pragma: no cover - Python 2 sanity runs
    from urlparse import urlsplit

ROLE = 'registries_conf'
MARKER = marker(ROLE)
CONVERTED = '# Converted from the v1 format by kubenode.pullfix (registries_conf role); the v1 text follows as comments.'
OWNED_STEM = '-kubenode-pullfix.conf'
# Files the owned drop-in must always be read after, present or not (a CRI-O package may come later).
ALWAYS_AFTER = ('crio.conf',)
MAX_Z = 32


def _setting_list(settings, key):
    value = settings.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise PlanError('pullfix_%s: expected a list of registry host[:port] names, got %r' % (key, value))
    return value


def check_settings(settings):
    """The role's settings, checked the way containers-image would check them. Raises PlanError naming the key."""
    search = _setting_list(settings, 'search_registries')
    for i, name in enumerate(search):
        if not isinstance(name, str) or not facts.DOMAIN_RE.match(name):
            raise PlanError('pullfix_search_registries[%d]: %r is not a registry host[:port] (containers-image '
                            'refuses it: "Invalid unqualified-search-registries entry")' % (i, name))
    if len(set(search)) != len(search):
        raise PlanError('pullfix_search_registries: lists a registry twice')
    mode = settings.get('short_name_mode')
    if mode is not None and mode not in facts.SHORT_NAME_MODES:
        raise PlanError('pullfix_short_name_mode: %r is not one of %s (or null)' % (mode, ', '.join(facts.SHORT_NAME_MODES)))
    aliases = settings.get('short_name_aliases') or {}
    if not isinstance(aliases, dict):
        raise PlanError('pullfix_short_name_aliases: expected a mapping of short name -> "registry/repository"')
    for name in sorted(aliases, key=str):
        words = facts.short_name_problem(name) or facts.alias_value_problem(aliases[name])
        if words:
            raise PlanError('pullfix_short_name_aliases[%r]: %s' % (name, words))
    convert = settings.get('registries_conf_convert_v1', False)
    if not isinstance(convert, bool):
        raise PlanError('pullfix_registries_conf_convert_v1: %r is not a boolean (expected true or false)' % (convert,))
    return {'search': list(search), 'mode': mode, 'aliases': dict(aliases), 'convert_v1': convert,
            'mirrors': validate_mirrors(settings.get('registry_mirrors'))}


def _q(text):
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text)


def _location(url):
    """containers-image location (host[:port][/path], no scheme) of a mirror URL, and whether it is plain http."""
    parts = urlsplit(url)
    return parts.netloc + parts.path.rstrip('/'), parts.scheme == 'http'


def registry_entries(mirrors, notes):
    """[[registry]] tables for pullfix_registry_mirrors, in registry order, and what cannot be said there."""
    out = []
    for registry in sorted(mirrors):
        spec = mirrors[registry]
        where = 'pullfix_registry_mirrors[%r]' % registry
        if registry == '*':
            notes.append('%s: containers-image has no catch-all registry ("*"); not written to registries.conf' % where)
            continue
        location, insecure = registry, False
        if spec.get('server'):
            location, insecure = _location(spec['server'])
        mirrors_out = []
        for url in spec['endpoints']:
            loc, http = _location(url)
            mirrors_out.append({'location': loc, 'insecure': http})
        if spec.get('fallback') is False:
            notes.append('%s: fallback false (mirror only) cannot be expressed in registries.conf: containers-image '
                         'tries %s itself after the mirrors' % (where, location))
        for key in ('ca', 'client', 'headers'):
            if spec.get(key):
                notes.append('%s.%s: not part of registries.conf (containers-image reads certificates from '
                             '/etc/containers/certs.d and credentials from auth.json); not written' % (where, key))
        if spec.get('skip_verify'):
            notes.append('%s.skip_verify: not written; registries.conf marks only the plain-http endpoints you '
                         'declared as insecure' % where)
        out.append({'prefix': registry, 'location': location, 'insecure': insecure, 'mirror': mirrors_out})
    return out


def render(wanted):
    """The owned drop-in's text for the wanted keys."""
    lines = [MARKER,
             '# Read after every file in registries.conf.d that sets the same keys (files are read in lexical order).']
    if 'unqualified-search-registries' in wanted:
        lines.append('unqualified-search-registries = [%s]' % ', '.join(_q(r) for r in wanted['unqualified-search-registries']))
    if 'short-name-mode' in wanted:
        lines.append('short-name-mode = %s' % _q(wanted['short-name-mode']))
    if wanted.get('aliases'):
        lines.extend(['', '[aliases]'])
        lines.extend('%s = %s' % (_q(name), _q(wanted['aliases'][name])) for name in sorted(wanted['aliases']))
    for reg in wanted.get('registry') or []:
        lines.extend(['', '[[registry]]', 'prefix = %s' % _q(reg['prefix']), 'location = %s' % _q(reg['location'])])
        if reg.get('insecure'):
            lines.append('insecure = true')
        for mirror in reg['mirror']:
            lines.extend(['', '[[registry.mirror]]', 'location = %s' % _q(mirror['location'])])
            if mirror['insecure']:
                lines.append('insecure = true')
    return '\n'.join(lines) + '\n'


def render_v1_conversion(text, converted):
    """A v1 file rewritten as v2: the same settings, the old text kept as comments."""
    lines = [CONVERTED]
    if 'unqualified-search-registries' in converted:
        lines.append('unqualified-search-registries = [%s]' % ', '.join(
            _q(str(r)) for r in converted['unqualified-search-registries']))
    for reg in converted.get('registry') or []:
        lines.extend(['', '[[registry]]', 'prefix = %s' % _q(reg['prefix']), 'location = %s' % _q(reg['location'])])
        for flag in ('insecure', 'blocked'):
            if reg.get(flag):
                lines.append('%s = true' % flag)
    lines.append('')
    lines.extend(('# ' + line).rstrip() for line in text.replace('\r\n', '\n').rstrip('\n').split('\n'))
    return '\n'.join(lines) + '\n'


def _sets(data, wanted):
    """Which of the wanted keys a layer sets (it competes with the owned drop-in for them)."""
    out = []
    if 'unqualified-search-registries' in wanted and isinstance(data.get('unqualified-search-registries'), list):
        out.append('unqualified-search-registries')
    if 'short-name-mode' in wanted and data.get('short-name-mode'):
        out.append('short-name-mode')
    prefixes = set(r['prefix'] for r in wanted.get('registry') or [])
    if prefixes & set(facts.registry_prefix(r) for r in data.get('registry') or [] if isinstance(r, dict)):
        out.append('registry')
    aliases = data.get('aliases') if isinstance(data.get('aliases'), dict) else {}
    if set(wanted.get('aliases') or {}) & set(aliases):
        out.append('aliases')
    return out


def owned_name(competitors):
    """The owned drop-in's name: 'zz-kubenode-pullfix.conf', with more z's while a competitor sorts after it."""
    for count in range(2, MAX_Z + 1):
        name = 'z' * count + OWNED_STEM
        if facts.sorts_after(name, competitors):
            return name
    return None


def _cite(path, index, keypath):
    line = parse.line_of(index, keypath) if index else None
    return '%s:%s' % (path, line) if line else path


def _show(value):
    if isinstance(value, list):
        return '[%s]' % ', '.join(str(v) for v in value)
    if isinstance(value, dict):
        return ', '.join('%s=%s' % (k, v) for k, v in sorted(value.items()) if k != 'mirror') + (
            ' (+%d mirror(s))' % len(value.get('mirror') or []) if value.get('mirror') else '')
    return str(value)


def describe(eff, indexes, keys=None):
    """Words for who wins each key of an effective configuration: ['key = value (from file:line)']."""
    out = []
    for key in ('unqualified-search-registries', 'short-name-mode', 'credential-helpers',
                'additional-layer-store-auth-helper'):
        if key in eff and (keys is None or key in keys):
            item = eff[key]
            out.append('%s = %s (from %s)' % (key, _show(item['value']),
                                              _cite(item['path'], indexes.get(item['path']), item['keypath'])))
    for group in ('registry', 'aliases'):
        for name in sorted(eff[group]):
            if keys is not None and (group, name) not in keys:
                continue
            item = eff[group][name]
            label = '[[registry]] prefix %s' % name if group == 'registry' else 'aliases.%s' % name
            out.append('%s = %s (from %s)' % (label, _show(item['value']),
                                              _cite(item['path'], indexes.get(item['path']), item['keypath'])))
    return out


def _load(ev, paths, result):
    """[(path, text, data, index, format)] of the layers that exist, or None after an error (nothing written)."""
    layers = []
    for path in paths:
        state, text = file_state(ev, path)
        if state == 'missing':
            continue
        if state != 'file':
            result['errors'].append('%s: %s; containers-image\'s configuration cannot be judged, nothing written' % (
                path, state_reason(ev, path, state)))
            return None
        try:
            data, index = parse.load_toml(text)
        except parse.ParseError as exc:
            result['errors'].append('%s:%s: not valid TOML (%s); containers-image refuses it and every pull fails. '
                                    'Fix it by hand; nothing written' % (path, exc.line or '?', exc.message))
            return None
        fmt = facts.file_format(data)
        if fmt == 'mixed':
            result['errors'].append('%s: mixes the v1 [registries.*] tables (%s) with v2 keys (%s): containers-image '
                                    'refuses it ("mixing sysregistry v1/v2 is not supported"). Keep one format by '
                                    'hand; nothing written' % (path, _cite(path, index, ('registries',)),
                                                               _cite(path, index, (facts.v2_keys(data)[0],))))
            return None
        if fmt == 'v1':
            for table in facts.v1_tables(data):
                value = data['registries'][table]['registries']
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    result['errors'].append('%s: [registries.%s] registries must be an array of strings; nothing '
                                            'written' % (_cite(path, index, ('registries', table, 'registries')), table))
                    return None
        checked = facts.v1_to_v2(data) if fmt == 'v1' else data
        for keypath, words in facts.file_problems(checked):
            keypath = ('registries',) if fmt == 'v1' else keypath
            result['errors'].append('%s: %s; containers-image refuses the file and every pull fails. Fix it by '
                                    'hand; nothing written' % (_cite(path, index, keypath), words))
        if result['errors']:
            return None
        if fmt == 'v1':
            index = _v1_index(index, facts.v1_to_v2(data))
        layers.append((path, text, data, index, fmt))
    return layers


def _v1_index(index, converted):
    """A v1 file's line index, with the v2 key paths its settings become pointing at the v1 lines."""
    out = dict(index)
    out[('unqualified-search-registries',)] = parse.line_of(index, ('registries', 'search', 'registries'))
    line = parse.line_of(index, ('registries',))
    for i, _reg in enumerate(converted.get('registry') or []):
        out[('registry', i)] = line
    return out


def _crio_mode(ev, runtime):
    """(mode CRI-O resolves short names with, why) when the runtime is CRI-O, else (None, None)."""
    if (runtime or {}).get('name') != 'crio':
        return None, None
    configured = None
    for path in facts.crio_files(ev.paths_by_why('crio-config')):
        state, text = file_state(ev, path)
        if state != 'file':
            continue
        try:
            data = parse.load_toml(text)[0]
        except parse.ParseError:
            continue  # the doctor reports it (crio-config-unparsable)
        configured = facts.crio_short_name_mode_of(data) or configured
    return facts.crio_resolves_with(parse_version(runtime.get('version')), configured)


def containers_image_users(ev, runtime):
    """What on this node reads containers-image configuration: CRI-O (the runtime, its unit or its
    binary), or podman, skopeo or buildah, whose containers-common package installs registries.conf
    (the main file or a drop-in present counts)."""
    users = []
    if runtime.get('name') == 'crio' or ev.unit('crio.service') or ev.version_output('crio'):
        users.append('CRI-O')
    if file_state(ev, facts.MAIN)[0] != 'missing' or any(
            file_state(ev, p)[0] != 'missing' for p in ev.paths_by_why('registries-conf') if facts.is_dropin(p)):
        users.append('containers-image configuration (%s)' % facts.MAIN)
    return users


def wanted_keys(ev, runtime, opts, result):
    """{key: value} the owned drop-in is to set, and its text (None: nothing to set)."""
    wanted = {}
    if opts['search']:
        wanted['unqualified-search-registries'] = opts['search']
    if opts['mode']:
        wanted['short-name-mode'] = opts['mode']
    if opts['aliases']:
        wanted['aliases'] = opts['aliases']
    if opts['mirrors'] and not containers_image_users(ev, runtime) and not wanted:
        # The mirrors are the container runtime's (containerd_registry); no tool here reads them
        # from registries.conf, and a drop-in nobody reads is a file the user did not ask for.
        result['notes'].append('pullfix_registry_mirrors: not written to %s: neither CRI-O nor a containers-image '
                               'tool (podman, skopeo, buildah: their %s) is on this node, and no containers-image '
                               'setting (pullfix_search_registries, pullfix_short_name_mode, '
                               'pullfix_short_name_aliases) is set' % (facts.DROPIN_DIR, facts.MAIN))
    else:
        entries = registry_entries(opts['mirrors'], result['notes'])
        if entries:
            wanted['registry'] = entries
    mine = render(wanted) if wanted else None
    if mine is not None:
        problems = facts.file_problems(parse.load_toml(mine)[0])
        if problems:
            raise PlanError('pullfix_registry_mirrors: the [[registry]] tables they make would be refused by '
                            'containers-image (%s)' % '; '.join(w for _k, w in problems))
    return wanted, mine


def convert_v1_layers(layers, opts, restart, result):
    """(layers as containers-image reads them after the plan, owned drop-ins found): v1 drop-ins
    converted in place (containers-image refuses them), the v1 main file when asked."""
    after_layers, owned = [], []
    for path, text, data, index, fmt in layers:
        if facts.is_dropin(path) and is_ours(text, ROLE):
            owned.append((path, text))
            continue
        v2 = data
        if fmt == 'v1':
            v2 = facts.v1_to_v2(data)
            converted = render_v1_conversion(text, v2)
            if facts.is_dropin(path):
                result['changes'].append(change(path, 'update', converted, 'v1-format drop-in converted to v2 in place '
                                                '(containers-image refuses v1 drop-ins: every pull failed)', ROLE,
                                                restart=restart, expect=sha256_text(text)))
            elif opts['convert_v1']:
                result['changes'].append(change(path, 'update', converted, 'v1-format registries.conf converted to v2 '
                                                '(pullfix_registries_conf_convert_v1)', ROLE, restart=restart,
                                                expect=sha256_text(text)))
            else:
                result['notes'].append('%s uses the deprecated v1 format (still accepted in the main file); '
                                       'set pullfix_registries_conf_convert_v1: true to convert it to v2' % (
                                           _cite(path, index, ('registries',))))
        after_layers.append((path, v2, index))
    return after_layers, owned


def plan_owned_dropin(ev, wanted, mine, after_layers, indexes, restart, result):
    """The owned drop-in, read after every other file that sets one of its keys. Returns its path,
    or False when it cannot be written (an error says why)."""
    competitors = [posixpath.basename(p) for p, d, _i in after_layers if facts.is_dropin(p) and _sets(d, wanted)]
    name = owned_name(competitors + list(ALWAYS_AFTER))
    if name is None:
        late = max(competitors, key=lambda n: n.encode('utf-8', 'surrogateescape'))
        result['errors'].append('%s/%s: sorts after any name kubenode.pullfix can give its drop-in and sets the '
                                'same keys; rename it (or merge it) by hand. Nothing written' % (facts.DROPIN_DIR, late))
        return False
    target = posixpath.join(facts.DROPIN_DIR, name)
    dir_kind = ev.dir_type(facts.DROPIN_DIR)
    if dir_kind not in (None, 'missing', 'dir', 'symlink'):
        result['errors'].append('%s: is a %s, not a directory; nothing written' % (facts.DROPIN_DIR, dir_kind))
        return False
    beaten = [p for p, d, _i in after_layers if _sets(d, wanted)]
    if owned_file(ev, target, mine, 'the search order, short-name mode, aliases and mirrors you asked for, read '
                  'after every file that sets the same keys (%s)' % (
                      ', '.join(beaten) or 'none yet; crio.conf when CRI-O is installed'),
                  ROLE, result, mode='0644', restart=restart, advice='rename it. Nothing written') == 'refused':
        return False
    after_layers.append((target, parse.load_toml(mine)[0], parse.load_toml(mine)[1]))
    indexes[target] = after_layers[-1][2]
    after_layers.sort(key=lambda layer: (layer[0] != facts.MAIN, posixpath.basename(layer[0]).encode(
        'utf-8', 'surrogateescape')))
    return target


def plan(ev, diagnosis, settings):
    """Plan the registries_conf role. Raises PlanError on invalid settings (before planning)."""
    ev, diagnosis, runtime, settings = planner_inputs(ev, diagnosis, settings)
    opts = check_settings(settings)
    result = new_plan()
    restart = facts.CRIO_RELOAD_KEY if runtime.get('name') == 'crio' else None
    wanted, mine = wanted_keys(ev, runtime, opts, result)
    layers = _load(ev, facts.ordered_files(ev.paths_by_why('registries-conf')), result)
    if layers is None:
        return finish(result)
    indexes = dict((p, i) for p, _t, _d, i, _f in layers)
    # Before: what containers-image makes of the files as they are.
    broken = [p for p, _t, _d, _i, f in layers if f == 'v1' and facts.is_dropin(p)]
    before_layers = [(p, facts.v1_to_v2(d) if f == 'v1' else d, i) for p, _t, d, i, f in layers]
    after_layers, owned = convert_v1_layers(layers, opts, restart, result)
    target = None
    if mine is not None:
        target = plan_owned_dropin(ev, wanted, mine, after_layers, indexes, restart, result)
        if target is False:
            return finish(result)
    for path, text in owned:
        if path != target:
            result['changes'].append(change(path, 'remove', None, 'drop-in of kubenode.pullfix no longer wanted '
                                            '(renamed or nothing to set)', ROLE, restart=restart,
                                            expect=sha256_text(text)))
    before = facts.merge(before_layers)
    after = facts.merge(after_layers)
    plan_effective(result, before, after, broken, indexes, wanted)
    _short_names(result, ev, runtime, after, opts)
    result['effective'] = {'before': describe(before, indexes), 'after': describe(after, indexes), 'broken': broken}
    return finish(result)


def plan_effective(result, before, after, broken, indexes, wanted):
    """Notes: which file wins each key, before and after (only keys that changed hands or value)."""
    for path in broken:
        result['notes'].append('before: %s is a v1 drop-in; containers-image refused the whole configuration '
                               '(every podman, skopeo and CRI-O pull failed)' % path)
    keys = set(k for k in wanted if k not in ('registry', 'aliases'))
    keys |= set(('registry', r['prefix']) for r in wanted.get('registry') or [])
    keys |= set(('aliases', n) for n in wanted.get('aliases') or {})
    if not keys:
        keys = set(('unqualified-search-registries', 'short-name-mode'))
    old, new = describe(before, indexes, keys), describe(after, indexes, keys)
    if old != new:
        result['notes'].extend('before: ' + line for line in old)
    result['notes'].extend(('after: ' if old != new else 'effective: ') + line for line in new)


def _short_names(result, ev, runtime, after, opts):
    """Say when short names stay ambiguous under enforcing mode, and where CRI-O takes the mode from."""
    search = (after.get('unqualified-search-registries') or {}).get('value') or []
    crio_mode, why = _crio_mode(ev, runtime)
    if crio_mode is not None or why:
        mode = crio_mode
        if opts['mode'] and parse_version(runtime.get('version')) and \
                parse_version(runtime.get('version')) >= facts.CRIO_ENFORCING_SINCE:
            result['notes'].append('pullfix_short_name_mode is written to registries.conf (podman, skopeo); CRI-O %s '
                                   'resolves with its own [crio.image] short_name_mode (%s)' % (runtime.get('version'), why))
    else:
        mode = (after.get('short-name-mode') or {}).get('value') or facts.DEFAULT_SHORT_NAME_MODE
        why = 'short-name-mode = "%s" in registries.conf' % mode
    if mode == 'enforcing' and len(search) > 1:
        result['notes'].append('short names stay ambiguous: %s and %d search registries remain (%s), so an unqualified '
                               'image fails to pull without a TTY. Set pullfix_short_name_aliases for the images you '
                               'pull by short name, or a single registry in pullfix_search_registries' % (
                                   why, len(search), ', '.join(search)))
