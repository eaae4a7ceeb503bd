# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Runtime detection and kubelet endpoint discovery."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import posixpath

from ..evidence import (distro_version, endpoint_path, endpoint_url, env_file_args, flag_values,
                        version_string)
from ..facts.endpoints import (DEFAULT_ENDPOINTS, IMAGE_FLAG, K3S_CRI_DOCKERD_SOCKET, KUBELET_CONFIG,
                               KUBELET_FLAG_FILES, RUNTIME_FLAG)

RUNTIMES = ('containerd', 'k3s', 'rke2', 'k0s', 'crio', 'docker')

_PROBE_NAMES = {'containerd': 'containerd', 'cri-o': 'crio', 'crio': 'crio', 'docker': 'docker'}


def classify_socket(path):
    """Runtime name a socket path belongs to, by its well-known location, or None."""
    if not path:
        return None
    p = path.replace('/var/run/', '/run/')
    if 'image-cri-shim' in p:
        return None
    if '/k3s/cri-dockerd/' in p or p.endswith('cri-dockerd.sock'):
        return 'docker'
    if '/run/k3s/' in p:
        return 'k3s'
    if '/run/k0s/' in p:
        return 'k0s'
    if 'crio' in p:
        return 'crio'
    if p.endswith('containerd.sock'):
        return 'containerd'
    return None


def distro(ev):
    """'k3s', 'rke2', 'k0s' when that distribution is installed/running, else None."""
    if ev.has_process('k3s', 'k3s-server', 'k3s-agent') or ev.unit_active('k3s.service') \
            or ev.unit_active('k3s-agent.service'):
        return 'k3s'
    if ev.has_process('rke2') or ev.unit_active('rke2-server.service') or ev.unit_active('rke2-agent.service'):
        return 'rke2'
    if ev.has_process('k0s') or ev.unit_active('k0sworker.service') or ev.unit_active('k0scontroller.service'):
        return 'k0s'
    if ev.version_output('k3s') or ev.unit('k3s.service') or ev.unit('k3s-agent.service'):
        return 'k3s'
    if ev.version_output('rke2') or ev.unit('rke2-server.service') or ev.unit('rke2-agent.service'):
        return 'rke2'
    if ev.unit('k0sworker.service') or ev.unit('k0scontroller.service'):
        return 'k0s'
    return None


def distro_config(ctx, kind):
    """Merged k3s/rke2 config.yaml (+ config.yaml.d) as {key: (value, cite)}."""
    out = {}
    base = '/etc/rancher/%s/config.yaml' % kind
    paths = ctx.ev.paths_by_why('%s-config' % kind)
    paths.sort(key=lambda p: (p != base, p))
    for path in paths:
        loaded = ctx.load(path, 'yaml', 'k3s-config-unparsable', 'The %s configuration' % kind)
        if not loaded:
            continue
        data, index = loaded
        if not isinstance(data, dict):
            continue
        for key, value in data.items():
            out[str(key)] = (value, ctx.cite(path, index.get((str(key),))))
    return out


def _in_cwd(value, cwd):
    value = str(value)
    if value.startswith('/'):
        return posixpath.normpath(value)
    return posixpath.normpath(posixpath.join(cwd or '/', value))


def _is_file(ev, path):
    """Whether the evidence holds ``path`` as a file: an entry recorded as missing is not one."""
    entry = ev.file(path)
    return bool(entry) and ((entry.get('error') or {}).get('kind') != 'missing')


def kubelet_config_files(ctx):
    """(config file or None, [drop-in files in merge order]) of the kubelet as it runs.

    A running kubelet reads the file its --config names (wherever it is) and the *.conf files of
    its --config-dir in lexical order, each merged over the previous (kubernetes PR #119390,
    KEP-3983; later files win). Without a running kubelet, kubeadm's /var/lib/kubelet/config.yaml."""
    ev = ctx.ev
    procs = ev.processes_named('kubelet')
    if not procs:
        return (KUBELET_CONFIG if _is_file(ev, KUBELET_CONFIG) else None), []
    config = dropin_dir = None
    for proc in procs:
        flags = flag_values(proc.get('cmdline'), ('--config', '--config-dir'))
        if flags.get('--config'):
            config = _in_cwd(flags['--config'], proc.get('cwd'))
        if flags.get('--config-dir'):
            dropin_dir = _in_cwd(flags['--config-dir'], proc.get('cwd'))
    dropins = []
    if dropin_dir:
        dropins = sorted((p for p in ev.paths_by_why('kubelet-config')
                          if posixpath.dirname(p) == dropin_dir and p.endswith('.conf')),
                         key=lambda p: posixpath.basename(p).encode('utf-8'))
    return config, dropins


def kubelet_endpoints(ctx):
    """Where kubelet's runtime and image endpoints come from.

    Returns {runtime_endpoint, runtime_source, image_endpoint, image_source, configured, present}.
    Precedence as kubelet applies it: command-line flags (the running process, else the
    env files kubeadm writes), then --config-dir drop-ins (the last file that sets a key wins),
    then the --config file; for k3s/RKE2 the distribution config, else its embedded containerd.
    """
    ev = ctx.ev
    found = {}

    def put(kind, value, source):
        if value and kind not in found:
            found[kind] = (str(value).strip(), source)

    procs = ev.processes_named('kubelet')
    for proc in procs:
        flags = flag_values(proc.get('cmdline'), (RUNTIME_FLAG, IMAGE_FLAG))
        src = 'kubelet process %s' % proc.get('pid')
        put('runtime', flags.get(RUNTIME_FLAG), '%s %s=%s' % (src, RUNTIME_FLAG, flags.get(RUNTIME_FLAG)))
        put('image', flags.get(IMAGE_FLAG), '%s %s=%s' % (src, IMAGE_FLAG, flags.get(IMAGE_FLAG)))
    if not procs:
        _flag_files(ctx, put)
    config, dropins = kubelet_config_files(ctx)
    _config_files(ctx, config, dropins, put)
    _distro_endpoints(ctx, put)
    configured = bool(found)
    # kubelet is set up on this node (kubeadm init/join or an installer got that far): it runs,
    # or a file of its own exists; not the default paths of files that do not exist
    present = bool(procs) or any(ev.text(p) is not None for p in ([config] if config else []) + list(dropins)) or \
        any(ev.text(p) is not None for p in KUBELET_FLAG_FILES)
    if 'runtime' not in found and (procs or config or any(ev.text(p) is not None for p in KUBELET_FLAG_FILES)):
        # kubelet >= 1.27 default for containerRuntimeEndpoint
        put('runtime', endpoint_url(DEFAULT_ENDPOINTS['containerd']), 'kubelet default containerRuntimeEndpoint')
    runtime = found.get('runtime', (None, None))
    image = found.get('image') or runtime
    return {
        'runtime_endpoint': runtime[0], 'runtime_source': runtime[1],
        'image_endpoint': image[0], 'image_source': image[1],
        'image_explicit': 'image' in found,
        'configured': configured,
        'present': present,
    }


def _flag_files(ctx, put):
    """The env files kubeadm writes for kubelet's flags (read when kubelet does not run)."""
    ev = ctx.ev
    for path in KUBELET_FLAG_FILES:
        text = ev.text(path)
        if text is None:
            continue
        ctx.needed_paths.add(path)
        for lineno, args in env_file_args(text):
            flags = flag_values(args, (RUNTIME_FLAG, IMAGE_FLAG))
            if RUNTIME_FLAG in flags and not (flags[RUNTIME_FLAG] or '').strip():
                ctx.findings.add('kubelet-config-unparsable', [ctx.cite(path, lineno)], (
                    '%s gives kubelet %s with an empty value: kubelet refuses to start ("the '
                    'containerRuntimeEndpoint was not specified or empty"). Name the runtime socket, e.g. '
                    '%s=unix:///run/containerd/containerd.sock, or drop the flag.' % (path, RUNTIME_FLAG, RUNTIME_FLAG)))
            for kind, flag in (('runtime', RUNTIME_FLAG), ('image', IMAGE_FLAG)):
                if flags.get(flag):
                    put(kind, flags[flag], ctx.cite(path, lineno))


def _config_files(ctx, config, dropins, put):
    """--config-dir drop-ins (last wins: read in reverse), then the --config file."""
    ev = ctx.ev
    for path in list(reversed(dropins)) + ([config] if config else []):
        if not ev.file(path):
            continue
        loaded = ctx.load(path, 'yaml', 'kubelet-config-unparsable', 'The kubelet configuration')
        if loaded and loaded[0] is not None and not isinstance(loaded[0], dict):
            ctx.findings.add('kubelet-config-unparsable', ['%s:1' % path], (
                '%s is a YAML %s, not a KubeletConfiguration mapping: kubelet refuses to start with it.' % (
                    path, 'list' if isinstance(loaded[0], list) else 'scalar')))
        if loaded and isinstance(loaded[0], dict):
            data, index = loaded
            for kind, key in (('runtime', 'containerRuntimeEndpoint'), ('image', 'imageServiceEndpoint')):
                value = data.get(key)
                if value is not None and not isinstance(value, str):
                    # kubelet decodes its config strictly: a wrong type stops it at start.
                    ctx.findings.add('kubelet-config-unparsable', [ctx.cite(path, index.get((key,)))], (
                        '%s: %s is a %s, expected a string such as unix:///run/containerd/containerd.sock; '
                        'kubelet refuses to start with it.' % (path, key, type(value).__name__.replace('dict', 'mapping')
                                                               .replace('list', 'list').replace('int', 'number'))))
                elif value:
                    put(kind, value, ctx.cite(path, index.get((key,))))


def _distro_endpoints(ctx, put):
    """k3s/RKE2: process flags, the distribution config, then the embedded containerd; k0s: its own."""
    ev = ctx.ev
    dist = distro(ev)
    if dist in ('k3s', 'rke2'):
        conf = distro_config(ctx, dist)
        argv = []
        for proc in ev.processes_named(dist, dist + '-server', dist + '-agent'):
            argv.extend(proc.get('cmdline') or ())
        flags = flag_values(argv, (RUNTIME_FLAG, IMAGE_FLAG))
        put('runtime', flags.get(RUNTIME_FLAG), '%s process %s=%s' % (dist, RUNTIME_FLAG, flags.get(RUNTIME_FLAG)))
        put('image', flags.get(IMAGE_FLAG), '%s process %s=%s' % (dist, IMAGE_FLAG, flags.get(IMAGE_FLAG)))
        for kind, key in (('runtime', 'container-runtime-endpoint'), ('image', 'image-service-endpoint')):
            if key in conf and conf[key][0]:
                put(kind, conf[key][0], conf[key][1])
        docker = conf.get('docker', (False, None))
        if docker[0] is True:
            put('runtime', endpoint_url(K3S_CRI_DOCKERD_SOCKET), docker[1])
        put('runtime', endpoint_url(DEFAULT_ENDPOINTS[dist]), '%s default (embedded containerd)' % dist)
    elif dist == 'k0s':
        put('runtime', endpoint_url(DEFAULT_ENDPOINTS['k0s']), 'k0s default (embedded containerd)')


def _probe_name(ev, path):
    sock = ev.socket(path) if path else None
    if not sock:
        return None, None
    probe = sock.get('runtime_probe') or {}
    version = probe.get('version') or {}
    if probe.get('ok') and version.get('runtime_name'):
        return _PROBE_NAMES.get(str(version['runtime_name']).lower(), None), version.get('runtime_version')
    return None, None


def _process_runtime(ev):
    for name, procs in (('k3s', ('k3s', 'k3s-server', 'k3s-agent')), ('rke2', ('rke2',)), ('k0s', ('k0s',)),
                        ('crio', ('crio',))):
        if ev.has_process(*procs):
            return name, 'process %s' % procs[0]
    if ev.has_process('dockerd') and ev.has_process('cri-dockerd'):
        return 'docker', 'processes dockerd and cri-dockerd'
    if ev.has_process('containerd'):
        return 'containerd', 'process containerd'
    for unit, name in (('k3s.service', 'k3s'), ('k3s-agent.service', 'k3s'), ('rke2-server.service', 'rke2'),
                       ('rke2-agent.service', 'rke2'), ('crio.service', 'crio'), ('containerd.service', 'containerd')):
        if ev.unit_active(unit):
            return name, 'unit %s active' % unit
    for name in ('k3s', 'rke2', 'crio', 'containerd'):
        if ev.version_output(name):
            return name, '%s binary installed' % name
    return 'unknown', 'nothing found'


def _version(ev, name, endpoint_path_):
    probe_name, probe_version = _probe_name(ev, endpoint_path_)
    if name in ('k3s', 'rke2'):
        return distro_version(ev.version_output(name), name)
    if name in ('containerd', 'crio', 'docker'):
        if probe_version and probe_name == name:
            return version_string(probe_version)
        for path in (DEFAULT_ENDPOINTS[name], DEFAULT_ENDPOINTS[name].replace('/var/run/', '/run/'),
                     DEFAULT_ENDPOINTS[name].replace('/run/', '/var/run/', 1)):
            pn, pv = _probe_name(ev, path)
            if pn == name and pv:
                return version_string(pv)
        if name in ('containerd', 'crio'):
            return version_string(ev.version_output(name))
    return None


def _containerd_version(ev, name, endpoint):
    if name == 'containerd':
        return _version(ev, 'containerd', endpoint)
    if name in ('k3s', 'rke2', 'k0s'):
        pn, pv = _probe_name(ev, endpoint or DEFAULT_ENDPOINTS[name])
        if pn == 'containerd' and pv:
            return version_string(pv)
    return None


def detect(ctx):
    """Decide the runtime; sets ctx.kubelet and ctx.runtime and returns the runtime dict."""
    ev = ctx.ev
    kubelet = kubelet_endpoints(ctx)
    ctx.kubelet = kubelet
    rt_path = endpoint_path(kubelet['runtime_endpoint'])
    wanted = str(ctx.settings.get('runtime') or 'auto').lower()
    name = None
    source = None
    if wanted != 'auto':
        name = 'crio' if wanted in ('cri-o',) else wanted
        source = 'settings.runtime'
    elif rt_path and ev.socket_is_present(rt_path):
        by_path = classify_socket(rt_path)
        probe_name = _probe_name(ev, rt_path)[0]
        if by_path in ('k3s', 'k0s'):
            name = by_path
            if by_path == 'k3s' and distro(ev) == 'rke2':
                name = 'rke2'
        elif probe_name:
            name = probe_name
        elif by_path:
            name = by_path
        if name:
            source = 'kubelet runtime endpoint %s (%s)%s' % (
                kubelet['runtime_endpoint'], kubelet['runtime_source'],
                ', runtime_name from CRI Version' if probe_name else '')
    if not name:
        name, source = _process_runtime(ev)
        dist = distro(ev)
        if name in ('containerd', 'unknown') and dist:
            name, source = dist, '%s installed' % dist
    endpoint = kubelet['runtime_endpoint']
    if not endpoint and name in DEFAULT_ENDPOINTS:
        endpoint = endpoint_url(DEFAULT_ENDPOINTS[name])
    image_endpoint = kubelet['image_endpoint'] or endpoint
    ep_path = endpoint_path(endpoint)
    runtime = {
        'name': name,
        'version': _version(ev, name, ep_path),
        'endpoint': endpoint,
        'image_endpoint': image_endpoint,
        'source': source,
        'containerd_version': _containerd_version(ev, name, ep_path),
    }
    ctx.runtime = runtime
    return runtime
