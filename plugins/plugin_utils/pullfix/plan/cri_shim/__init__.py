# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Planner of the ``kubenode.pullfix.cri_shim`` role (pure, no Ansible imports).

Sealos image-cri-shim sits between kubelet and the runtime. ``plan(ev, runtime, settings)``:

- drop-ins (owned, written whole, checked with ``systemd-analyze verify``): the shim after the
  runtime unit and the local registry unit with a bounded wait for both; kubelet after the shim;
- ``/etc/image-cri-shim.yaml``: ``cri`` = the runtime socket, ``address`` = the local registry,
  edited line by line, everything else kept;
- kubelet: the shim only as ``imageServiceEndpoint``, the runtime socket as
  ``containerRuntimeEndpoint``, in the file the running kubelet takes them from;
- kubeadm: ``imageRepository`` = the local registry, and the images kubeadm would pull.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import posixpath
import shlex

from ... import parse
from .. import PlanError, change, file_state, finish, new_plan, sha256_text, state_reason
from ..owned import nothing_to_do, owned_file
from ..settings import planner_inputs
from ...diagnose.context import Context
from ...diagnose.runtime import classify_socket, kubelet_config_files
from ...evidence import endpoint_path, env_file_args, flag_values, redact_url, url_host
from ...facts import shim as facts
from ...facts.endpoints import DEFAULT_ENDPOINTS, IMAGE_FLAG, KUBELET_FLAG_FILES, RUNTIME_FLAG
from . import units
from .json_edit import is_json_object, set_json_scalars
from .yaml_edit import EditError, set_scalars

ROLE = 'cri_shim'
DROPIN_NAME = posixpath.basename(facts.shim_dropin())
VALIDATE_PYTHON = ['/usr/bin/env', 'python3', '-c',
                   'import sys; compile(open(sys.argv[1]).read(), sys.argv[1], "exec")', '%s']


def _same_socket(ev, a, b):
    if not a or not b:
        return False
    if a == b:
        return True
    if ev.var_run_is_run():
        norm = [p.replace('/var/run/', '/run/', 1) if p.startswith('/var/run/') else p for p in (a, b)]
        return norm[0] == norm[1]
    return False


def runtime_socket(ev, runtime, shim_socket):
    """The runtime's own CRI socket (never the shim's), or None."""
    name = (runtime or {}).get('name')
    candidates = []
    path = endpoint_path((runtime or {}).get('endpoint'))
    if path and not _same_socket(ev, path, shim_socket):
        candidates.append(path)
    if name in DEFAULT_ENDPOINTS:
        candidates.append(DEFAULT_ENDPOINTS[name])
    for p in sorted(ev.sockets):
        if classify_socket(p) and not _same_socket(ev, p, shim_socket):
            candidates.append(p)
    for p in candidates:
        sock = ev.socket(p) or {}
        if ev.socket_is_present(p) and (sock.get('runtime_probe') or {}).get('ok'):
            return p
    for p in candidates:
        if ev.socket_is_present(p):
            return p
    return None


def _registry_url(local, current_address):
    """``address`` for the shim: the local registry with the scheme of the current address (or http)."""
    if '://' in local:
        return local.rstrip('/')
    scheme = 'http'
    if isinstance(current_address, str) and '://' in current_address:
        scheme = current_address.split('://', 1)[0]
    return '%s://%s' % (scheme, local.rstrip('/'))


def check_settings(settings):
    local = settings.get('local_registry')
    if local is not None:
        if not isinstance(local, str) or not local.strip() or any(c.isspace() for c in local) or '@' in local:
            raise PlanError('pullfix_local_registry: %s is not a registry host[:port] or URL without credentials'
                            % redact_url(repr(local)))
    unit = settings.get('shim_registry_unit', facts.REGISTRY_UNIT)
    if unit is not None and (not isinstance(unit, str) or '/' in unit or any(c.isspace() for c in unit) or not unit):
        raise PlanError('pullfix_shim_registry_unit: %r is not a systemd unit name (e.g. registry.service)' % (unit,))
    if unit and '.' not in unit:
        unit += '.service'
    timeout = settings.get('shim_wait_timeout', 60)
    if isinstance(timeout, str) and timeout.strip().isdigit():
        timeout = int(timeout)
    if isinstance(timeout, bool) or not isinstance(timeout, int) or not 1 <= timeout <= 3600:
        raise PlanError('pullfix_shim_wait_timeout: %r is not a number of seconds between 1 and 3600' % (timeout,))
    return local, unit, timeout


def plan_units(ev, runtime, sock, shim_sock, registry_url, registry_unit, timeout, result):
    shim_unit = ev.unit(facts.SHIM_UNIT)
    fragment = (shim_unit or {}).get('FragmentPath')
    if not shim_unit or not fragment:
        result['notes'].append('%s is not installed: no drop-in written' % facts.SHIM_UNIT)
        return
    for path in [fragment] + list(shim_unit.get('DropInPaths') or []):
        state, text = file_state(ev, path)
        if state == 'file':
            problem = units.unit_file_problem(text, path)
            if problem:
                result['errors'].append(problem + '; the shim unit is not changed')
                return
    name = (runtime or {}).get('name')
    runtime_unit = facts.RUNTIME_UNITS.get(name)
    if not runtime_unit:
        result['notes'].append('runtime %s: no runtime unit to order image-cri-shim after' % name)
    owned_file(ev, units.WAIT_HELPER, units.WAIT_HELPER_TEXT, 'bounded wait for the runtime socket and the registry '
               '(ExecStartPre of %s)' % facts.SHIM_UNIT, ROLE, result, validate=VALIDATE_PYTHON, mode='0755')
    path = facts.shim_dropin(facts.SHIM_UNIT)
    content = units.shim_dropin(runtime_unit, registry_unit, sock, registry_url, timeout, shim_sock)
    owned_file(ev, path, content, '%s after %s, waiting for %s%s' % (
        facts.SHIM_UNIT, ' and '.join(u for u in (runtime_unit, registry_unit) if u), sock,
        ' and %s/v2/' % registry_url if registry_url else ''), ROLE, result, restart='systemd',
        validate=units.verify_argv(facts.SHIM_UNIT, DROPIN_NAME))
    kubelet = ev.unit(facts.KUBELET_UNIT)
    if kubelet and kubelet.get('FragmentPath'):
        owned_file(ev, facts.shim_dropin(facts.KUBELET_UNIT), units.kubelet_dropin(facts.SHIM_UNIT),
                   '%s after %s' % (facts.KUBELET_UNIT, facts.SHIM_UNIT), ROLE, result, restart='systemd',
                   validate=units.verify_argv(facts.KUBELET_UNIT, DROPIN_NAME))
    else:
        result['notes'].append('%s is not installed: kubelet is not ordered after the shim' % facts.KUBELET_UNIT)


def _edit(ev, path, values, result, reason, restart, after=None, secrets=None, doc_range=None):
    state, text = file_state(ev, path)
    if state != 'file':
        why = state_reason(ev, path, state) if state != 'missing' else 'does not exist'
        result['errors'].append('%s: %s; not edited' % (path, why))
        return None
    try:
        if is_json_object(text):  # kubelet reads JSON as YAML; it is edited as JSON
            new_text, changed = set_json_scalars(text, values, path, after=after)
        else:
            new_text, changed = set_scalars(text, values, path, doc_range=doc_range, after=after)
    except EditError as exc:
        result['errors'].append(str(exc))
        return None
    if new_text == text:
        return text
    result['secrets'].extend(secrets or ())
    result['changes'].append(change(path, 'update', new_text, '%s: %s' % (reason, ', '.join(
        '%s: %s' % (k, values[k]) for k in changed)), ROLE, restart=restart, expect=sha256_text(text)))
    return new_text


def plan_shim_config(ev, local, sock, result):
    """(registry URL the shim uses, shim socket) after the edit of /etc/image-cri-shim.yaml."""
    path = facts.SHIM_CONFIG
    state, text = file_state(ev, path)
    if state == 'missing':
        result['notes'].append('%s does not exist: the shim configuration is not written (the shim itself '
                               'refuses to start without it)' % path)
        return (_registry_url(local, None) if local else None), facts.SHIM_SOCKET
    if state != 'file':
        result['errors'].append('%s: %s; not edited' % (path, state_reason(ev, path, state)))
        return None, facts.SHIM_SOCKET
    try:
        data, index = parse.load_yaml(text.lstrip('\ufeff'))
    except parse.ParseError as exc:
        result['errors'].append('%s:%s: %s (expected a YAML mapping with shim, cri and address); not edited' % (
            path, exc.line or '?', exc.message))
        return None, facts.SHIM_SOCKET
    if not isinstance(data, dict):
        result['errors'].append('%s:1: is a YAML %s, expected a mapping with shim, cri and address; not edited' % (
            path, type(data).__name__.replace('NoneType', 'empty document').replace('list', 'list').replace('str', 'string')))
        return None, facts.SHIM_SOCKET
    shim_sock = endpoint_path(data.get('shim')) if isinstance(data.get('shim'), str) else None
    shim_sock = shim_sock or facts.SHIM_SOCKET
    secrets = [str(data.get(k)) for k in facts.SHIM_SECRET_KEYS if data.get(k)]
    for reg in data.get('registries') or []:
        if isinstance(reg, dict) and reg.get('auth'):
            secrets.append(str(reg['auth']))
    result['secrets'].extend(secrets)
    values = {}
    cri = data.get('cri')
    cri_path = endpoint_path(cri) if isinstance(cri, str) else None
    if sock and not _same_socket(ev, cri_path, sock):
        values['cri'] = ('unix://' + sock) if isinstance(cri, str) and cri.startswith('unix://') else sock
    address = data.get('address')
    url = address if isinstance(address, str) else None
    if local:
        want = _registry_url(local, address)
        if not isinstance(address, str) or url_host(address) != url_host(want) or ('://' in local and address != want):
            values['address'] = want
            url = want
    if values:
        _edit(ev, path, values, result, 'image-cri-shim configuration', 'image-cri-shim',
              after={'cri': ['shim'], 'address': ['cri', 'shim']}, secrets=secrets)
    return url, shim_sock


def _kubelet_flag_files(ev):
    """[(path, lineno, args)] of kubelet flag files that set one of the endpoint flags."""
    out = []
    for path in KUBELET_FLAG_FILES:
        text = ev.text(path)
        if text is None:
            continue
        for lineno, args in env_file_args(text):
            if flag_values(args, (RUNTIME_FLAG, IMAGE_FLAG)):
                out.append((path, lineno, args))
    return out


def _edit_flags_line(line, want):
    """The env line with the endpoint flags set to ``want`` {flag: value}, quoting kept; or None."""
    name, sep, value = line.partition('=')
    quote = value[:1] if value[:1] in ('"', "'") else ''
    inner = value[1:-1] if quote and value.rstrip().endswith(quote) and len(value.rstrip()) > 1 else value
    if quote and inner is value:
        return None
    try:
        words = shlex.split(inner)
    except ValueError:
        return None
    out, i, seen = [], 0, set()
    while i < len(words):
        w = words[i]
        flag = w.split('=', 1)[0]
        if flag in want:
            seen.add(flag)
            out.append('%s=%s' % (flag, want[flag]))
            if '=' not in w and i + 1 < len(words):
                i += 1
        else:
            out.append(w)
        i += 1
    for flag in sorted(want):
        if flag not in seen:
            out.append('%s=%s' % (flag, want[flag]))
    joined = ' '.join(shlex.quote(w) for w in out)
    return '%s%s%s%s%s' % (name, sep, quote, joined, quote)


# The variable each flags file gives kubelet's command line (kubelet.service's drop-in of the
# kubeadm packages: KUBELET_KUBEADM_ARGS from kubeadm-flags.env, KUBELET_EXTRA_ARGS from the others).
FLAGS_VARIABLE = {'/var/lib/kubelet/kubeadm-flags.env': 'KUBELET_KUBEADM_ARGS'}
EXTRA_ARGS = 'KUBELET_EXTRA_ARGS'


def plan_join_flags(ev, runtime_url, image_url, restart, result):
    """A node without kubelet configuration yet (prepared for ``kubeadm join``): the endpoints go
    into the flags file that is there, preferring the user's (/etc/default, /etc/sysconfig: kubeadm
    join rewrites kubeadm-flags.env). Its flags win over the config.yaml kubeadm join writes."""
    present = [p for p in KUBELET_FLAG_FILES if file_state(ev, p)[0] == 'file']
    if not present:
        result['notes'].append('no kubelet configuration found on this node: its endpoints are not set')
        return
    path = sorted(present, key=lambda p: p in FLAGS_VARIABLE)[0]
    want = {RUNTIME_FLAG: runtime_url, IMAGE_FLAG: image_url}  # as plan_kubelet keeps them once set
    _state, text = file_state(ev, path)
    variable = FLAGS_VARIABLE.get(path, EXTRA_ARGS)
    lines = text.splitlines(True)
    index = next((i for i, line in enumerate(lines) if line.split('=', 1)[0].strip() == variable), None)
    if index is None:
        eol = '\r\n' if text.endswith('\r\n') else '\n'
        new_text = text + ('' if not text or text.endswith('\n') else eol) + '%s=%s%s' % (
            variable, ' '.join('%s=%s' % (k, want[k]) for k in sorted(want)), eol)
    else:
        raw = lines[index]
        body = raw.rstrip('\r\n')
        current = flag_values(shlex_words(body.partition('=')[2]), (RUNTIME_FLAG, IMAGE_FLAG))
        want = dict((k, v) for k, v in want.items() if current.get(k) != v)
        if not want:
            return
        new = _edit_flags_line(body, want)
        if new is None:
            result['errors'].append('%s:%d: cannot be split into kubelet flags (unbalanced quotes); not edited' % (
                path, index + 1))
            return
        lines[index] = new + raw[len(body):]
        new_text = ''.join(lines)
    result['changes'].append(change(path, 'update', new_text, 'kubelet flags (no kubelet configuration yet, as '
                                    'before kubeadm join): %s' % ', '.join('%s=%s' % (k, want[k]) for k in sorted(want)),
                                    ROLE, restart=restart, expect=sha256_text(text)))


def shlex_words(value):
    """The words of an env file value (quotes removed), or [] when its quotes do not balance."""
    value = value.strip()
    if len(value) > 1 and value[0] == value[-1] and value[0] in '"\'':
        value = value[1:-1]
    try:
        return shlex.split(value)
    except ValueError:
        return []


def _shim_serving(ev, shim_sock):
    sock = ev.socket(shim_sock) or {}
    return bool((sock.get('image_probe') or {}).get('ok'))


def plan_kubelet(ev, runtime, settings, sock, shim_sock, result):
    runtime_url = 'unix://' + sock
    image_url = 'unix://' + shim_sock
    kubelet_uses_shim = any(_same_socket(ev, endpoint_path((runtime or {}).get(k)), shim_sock)
                            for k in ('endpoint', 'image_endpoint'))
    if not kubelet_uses_shim and not _shim_serving(ev, shim_sock):
        # Pointing kubelet at a shim that does not answer would stop every pull.
        result['notes'].append('%s does not answer the image service and kubelet does not use it: kubelet\'s '
                               'endpoints are left as they are' % shim_sock)
        return
    procs = ev.processes_named('kubelet')
    flag_files = _kubelet_flag_files(ev)
    proc_flags = {}
    for proc in procs:
        proc_flags.update(flag_values(proc.get('cmdline'), (RUNTIME_FLAG, IMAGE_FLAG)))
    active = ev.unit_active(facts.KUBELET_UNIT)
    restart = 'kubelet' if active else None
    if flag_files or proc_flags:
        if not flag_files:
            result['errors'].append('kubelet (pid %s) is started with %s but none of %s holds them; set them where '
                                    'kubelet.service sets its command line' % (
                                        procs[0].get('pid'), ', '.join(sorted(proc_flags)), ', '.join(KUBELET_FLAG_FILES)))
            return
        path, lineno, args = flag_files[-1]
        current = flag_values(args, (RUNTIME_FLAG, IMAGE_FLAG))
        want = {}
        if current.get(RUNTIME_FLAG) != runtime_url and not _same_socket(ev, endpoint_path(current.get(RUNTIME_FLAG)), sock):
            want[RUNTIME_FLAG] = runtime_url
        if current.get(IMAGE_FLAG) != image_url and not _same_socket(ev, endpoint_path(current.get(IMAGE_FLAG)), shim_sock):
            want[IMAGE_FLAG] = image_url
        if not want:
            return
        state, text = file_state(ev, path)
        if state != 'file':
            result['errors'].append('%s: %s; not edited' % (path, state_reason(ev, path, state)))
            return
        lines = text.splitlines(True)
        raw = lines[lineno - 1]
        body = raw.rstrip('\r\n')
        new = _edit_flags_line(body, want)
        if new is None:
            result['errors'].append('%s:%d: cannot be split into kubelet flags (unbalanced quotes); not edited' % (
                path, lineno))
            return
        lines[lineno - 1] = new + raw[len(body):]
        result['changes'].append(change(path, 'update', ''.join(lines), 'kubelet flags: %s' % ', '.join(
            '%s=%s' % (k, want[k]) for k in sorted(want)), ROLE, restart=restart, expect=sha256_text(text)))
        return
    ctx = Context(ev, settings)
    config, dropins = kubelet_config_files(ctx)
    if config and file_state(ev, config)[0] == 'missing':
        config = None  # gathered and found missing: no file to edit
    if not config and not dropins:
        plan_join_flags(ev, runtime_url, image_url, restart, result)
        return
    targets = {}
    for key, want in (('containerRuntimeEndpoint', runtime_url), ('imageServiceEndpoint', image_url)):
        where = config
        current = None
        for path in dropins + ([config] if config else []):
            parsed = ev.parsed(path, 'yaml')
            data = parsed[0] if parsed else None
            if isinstance(data, dict) and key in data:
                where, current = path, data.get(key)
                break
        current_path = endpoint_path(current) if isinstance(current, str) else None
        wanted_path = sock if key == 'containerRuntimeEndpoint' else shim_sock
        if current == want or _same_socket(ev, current_path, wanted_path):
            continue
        targets.setdefault(where, {})[key] = want
    for path in sorted(t for t in targets if t):
        _edit(ev, path, targets[path], result, 'kubelet configuration', restart, after={
            'containerRuntimeEndpoint': ['kind'], 'imageServiceEndpoint': ['containerRuntimeEndpoint', 'kind']})


def _doc_ranges(text):
    """[(first, last)] 1-based line ranges of the documents of a YAML stream split at '---' lines."""
    lines = text.splitlines()
    ranges, start = [], 1
    for no, line in enumerate(lines, 1):
        if line.rstrip() == '---' or line.startswith('--- '):
            if no > start:
                ranges.append((start, no - 1))
            start = no + 1
    ranges.append((start, len(lines)))
    return ranges


def registry_lacks(ev, repo, images):
    """Words on which of ``images`` the local registry's catalogue (evidence) lacks, or None."""
    catalog = ev.raw.get('local_registry') if isinstance(ev.raw.get('local_registry'), dict) else None
    if not catalog or url_host(catalog.get('url') or '') != url_host(repo):
        return None
    if catalog.get('error'):
        return 'the local registry %s could not be listed (%s): which of these images it holds is unknown' % (
            repo, (catalog['error'] or {}).get('message'))
    repos = catalog.get('repositories') or {}
    missing = []
    for image in images:
        name, _sep, tag = image[len(repo) + 1:].rpartition(':')
        if tag not in (repos.get(name) or ()):
            missing.append(image)
    if not missing:
        return 'the local registry %s holds all of them' % repo
    return 'the local registry %s lacks %d of them%s: %s' % (
        repo, len(missing), ' (its catalogue was cut short)' if catalog.get('truncated') else '', ', '.join(missing))


def plan_kubeadm(ev, runtime, local, result):
    if not local:
        return
    repo = url_host(local) if '://' in local else local.rstrip('/')
    for path in ev.paths_by_why('kubeadm-config'):
        state, text = file_state(ev, path)
        if state == 'missing':
            continue
        if state != 'file':
            result['errors'].append('%s: %s; not edited' % (path, state_reason(ev, path, state)))
            continue
        try:
            docs = parse.load_yaml_all(text.lstrip('\ufeff'))
        except parse.ParseError as exc:
            result['errors'].append('%s:%s: %s (expected kubeadm YAML documents); not edited' % (
                path, exc.line or '?', exc.message))
            continue
        ranges = _doc_ranges(text.lstrip('\ufeff'))
        for data, index in docs:
            if not isinstance(data, dict) or data.get('kind') != 'ClusterConfiguration':
                continue
            version = data.get('kubernetesVersion')
            images = facts.kubeadm_images(version, repo)
            if images is None:
                result['notes'].append('%s: kubernetesVersion %s: the images kubeadm pulls for it are not recorded '
                                       '(known: %s)' % (path, version, ', '.join(facts.recorded_minors())))
            else:
                result['notes'].append('kubeadm %s pulls from %s: %s' % (version, repo, ', '.join(images)))
                lacking = registry_lacks(ev, repo, images)
                if lacking:
                    result['notes'].append(lacking)
            if data.get('imageRepository') == repo:
                continue
            kind_line = index.get(('kind',)) or 1
            doc_range = next((r for r in ranges if r[0] <= kind_line <= r[1]), None)
            _edit(ev, path, {'imageRepository': repo}, result, 'kubeadm ClusterConfiguration', None,
                  after={'imageRepository': ['kubernetesVersion', 'kind']}, doc_range=doc_range)


def plan(ev, diagnosis, settings):
    """Plan the cri_shim role. Raises PlanError on invalid settings (before planning)."""
    ev, diagnosis, runtime, settings = planner_inputs(ev, diagnosis, settings)
    local, registry_unit, timeout = check_settings(settings)
    result = new_plan()
    if runtime.get('name') in ('k3s', 'rke2', 'k0s'):
        result['notes'].append(nothing_to_do('runtime %s' % runtime.get('name'), 'image-cri-shim is a Sealos component'))
        return finish(result)
    if not ev.unit(facts.SHIM_UNIT) and file_state(ev, facts.SHIM_CONFIG)[0] == 'missing':
        result['notes'].append(nothing_to_do('image-cri-shim', 'not installed (no %s, no %s)' % (
            facts.SHIM_UNIT, facts.SHIM_CONFIG)))
        plan_kubeadm(ev, runtime, local, result)
        return finish(result)
    sock = runtime_socket(ev, runtime, facts.SHIM_SOCKET)
    if not sock:
        result['errors'].append('no runtime CRI socket answers on this node (looked at %s and the known sockets); '
                                'start the runtime first. Nothing planned for image-cri-shim' % (
                                    runtime.get('endpoint') or 'no kubelet endpoint'))
        return finish(result)
    registry_url, shim_sock = plan_shim_config(ev, local, sock, result)
    if result['errors']:
        return finish(result)
    plan_units(ev, runtime, sock, shim_sock, registry_url, registry_unit, timeout, result)
    plan_kubelet(ev, runtime, settings, sock, shim_sock, result)
    plan_kubeadm(ev, runtime, local, result)
    return finish(result)
