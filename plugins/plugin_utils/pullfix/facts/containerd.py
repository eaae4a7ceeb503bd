# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What containerd does, per version: the one place both the doctor and the planner read.

Each fact names where it was verified: "node" (proven on a real containerd in the Molecule
scenarios), or the upstream source it was read from.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import posixpath

from ..evidence import flag_values, parse_version

CONFIG = '/etc/containerd/config.toml'
CERTS_D = '/etc/containerd/certs.d'
DOCKER_CERTS_D = '/etc/docker/certs.d'
SOCKET = '/run/containerd/containerd.sock'

# Plugin URIs. Config version 2 (containerd 1.x) keeps everything CRI in one plugin;
# version 3 (2.x) splits it into images and runtime plugins.
CRI_V2 = 'io.containerd.grpc.v1.cri'
IMAGES_V3 = 'io.containerd.cri.v1.images'
RUNTIME_V3 = 'io.containerd.cri.v1.runtime'
# Any of these in disabled_plugins removes the CRI service ("cri" is the version 1 short name).
CRI_PLUGIN_NAMES = ('cri', CRI_V2, IMAGES_V3, RUNTIME_V3)
# Keys of the 1.x CRI table that version 3 reads from other plugins (ignored there).
V2_ONLY_CRI_KEYS = ('registry', 'containerd', 'cni', 'sandbox_image', 'image_decryption',
                    'image_pull_progress_timeout', 'max_concurrent_downloads')
# The pause image containerd uses when the config does not name one: (first release, image),
# the entry with the highest first release <= the version applies. Read at every tag of each range:
# v1.6.0-v1.6.8 pkg/cri/config/config_unix.go:95 "k8s.gcr.io/pause:3.6"; v1.6.9-v1.6.39 same line
# "registry.k8s.io/pause:3.6" (node: `containerd config default` of 1.6.20 in molecule/facts);
# v1.7.0-v1.7.9 pkg/cri/config/config_unix.go:98, v1.7.10-v1.7.34 line 96 "pause:3.8" (node: 1.7.24);
# v2.0.0-v2.0.11 internal/cri/config/config.go:73, v2.1.0-v2.1.9 line 76 "pause:3.10" (node: 2.1.9);
# v2.2.0-v2.2.7 internal/cri/config/config.go:76 "pause:3.10.1"; v2.3.0-v2.3.4 line 76 "pause:3.10.2".
DEFAULT_PAUSE_BY_RELEASE = (
    ((1, 6, 0), 'k8s.gcr.io/pause:3.6'),
    ((1, 6, 9), 'registry.k8s.io/pause:3.6'),
    ((1, 7, 0), 'registry.k8s.io/pause:3.8'),
    ((2, 0, 0), 'registry.k8s.io/pause:3.10'),
    ((2, 2, 0), 'registry.k8s.io/pause:3.10.1'),
    ((2, 3, 0), 'registry.k8s.io/pause:3.10.2'),
)
# When only the major version is known (a version 3 file, no version): the oldest default of it.
DEFAULT_PAUSE = {1: 'registry.k8s.io/pause:3.6', 2: 'registry.k8s.io/pause:3.10'}

# The `_default` certs.d directory ("*" mirror): v1.6.17 remotes/docker/config/config_unix.go:35 and
# v1.7.0 same file:34 add filepath.Join(root, "_default"); v1.6.16 and v1.7.0-beta.0 do not.
DEFAULT_DIR_SINCE = (1, 6, 17)

# hosts.toml keys containerd knows (hostFileConfig, v1.7.24 remotes/docker/config/hosts.go:325-370,
# v2.1.9 core/remotes/docker/config/hosts.go:335-375); any other key is ignored silently.
# `dial_timeout` exists only from v2.0.7 (core/remotes/docker/config/hosts.go:367) and v2.1.0 (line
# 374); v2.0.0-v2.0.6 and every 1.6/1.7 release ignore it (no such field).
HOSTS_TOP_KEYS = frozenset(('server', 'capabilities', 'ca', 'client', 'skip_verify', 'override_path',
                            'header', 'dial_timeout', 'host'))
HOSTS_HOST_KEYS = frozenset(('capabilities', 'ca', 'client', 'skip_verify', 'override_path', 'header',
                             'dial_timeout'))
DIAL_TIMEOUT_SINCE = ((2, 0, 7), (2, 1, 0))


def hosts_keys(version, top=False):
    """hosts.toml keys this containerd reads (top level or in a [host] table; None: the newest set)."""
    keys = HOSTS_TOP_KEYS if top else HOSTS_HOST_KEYS
    if version is not None and not knows_dial_timeout(version):
        keys = keys - frozenset(('dial_timeout',))
    return keys


def knows_dial_timeout(version):
    """Whether hosts.toml `dial_timeout` is read (2.0.7+ on 2.0, 2.1.0+; None: assume yes)."""
    if version is None:
        return True
    on_2_0, since = DIAL_TIMEOUT_SINCE
    return version >= since or (version[:2] == on_2_0[:2] and version >= on_2_0)


# Upstream endpoint used when hosts.toml has no `server`: the registry's own https endpoint,
# except Docker Hub, whose API lives elsewhere.
UPSTREAMS = {'docker.io': 'https://registry-1.docker.io'}

# Version 1 plugin IDs -> version 2 URIs (the names a version 1 config uses in [plugins.<id>]).
V1_PLUGIN_URIS = {
    'cri': CRI_V2,
    'linux': 'io.containerd.runtime.v1.linux',
    'task': 'io.containerd.runtime.v2.task',
    'opt': 'io.containerd.internal.v1.opt',
    'restart': 'io.containerd.internal.v1.restart',
    'tracing': 'io.containerd.internal.v1.tracing',
    'scheduler': 'io.containerd.gc.v1.scheduler',
    'cgroups': 'io.containerd.monitor.v1.cgroups',
    'bolt': 'io.containerd.metadata.v1.bolt',
    'otlp': 'io.containerd.tracing.processor.v1.otlp',
    'walking': 'io.containerd.differ.v1.walking',
    'nri': 'io.containerd.nri.v1.nri',
    'diff-service': 'io.containerd.service.v1.diff-service',
    'aufs': 'io.containerd.snapshotter.v1.aufs',
    'btrfs': 'io.containerd.snapshotter.v1.btrfs',
    'devmapper': 'io.containerd.snapshotter.v1.devmapper',
    'native': 'io.containerd.snapshotter.v1.native',
    'overlayfs': 'io.containerd.snapshotter.v1.overlayfs',
    'zfs': 'io.containerd.snapshotter.v1.zfs',
    'containers': 'io.containerd.grpc.v1.containers',
    'content': 'io.containerd.grpc.v1.content',
    'diff': 'io.containerd.grpc.v1.diff',
    'events': 'io.containerd.grpc.v1.events',
    'healthcheck': 'io.containerd.grpc.v1.healthcheck',
    'images': 'io.containerd.grpc.v1.images',
    'introspection': 'io.containerd.grpc.v1.introspection',
    'leases': 'io.containerd.grpc.v1.leases',
    'namespaces': 'io.containerd.grpc.v1.namespaces',
    'snapshots': 'io.containerd.grpc.v1.snapshots',
    'tasks': 'io.containerd.grpc.v1.tasks',
    'version': 'io.containerd.grpc.v1.version',
}


def major(version):
    """containerd major version of a version tuple; 1 when unknown (the conservative reading)."""
    return version[0] if version else 1


def config_version_for(version):
    """Config file version a new config.toml gets for this containerd."""
    return 3 if major(version) >= 2 else 2


def cri_table(config_version):
    """Key path of the table holding `registry` and the sandbox image, for a config file version."""
    if config_version == 3:
        return ('plugins', IMAGES_V3)
    if config_version == 2:
        return ('plugins', CRI_V2)
    return ('plugins', 'cri')


def table_value(config, path):
    """The value at key path ``path`` of a parsed TOML config, or None where a table or key is missing."""
    data = config
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def registry_table(config_version):
    return cri_table(config_version) + ('registry',)


def sandbox_key(config_version):
    """Key path of the sandbox (pause) image: 1.x `sandbox_image`, 2.x `pinned_images.sandbox`."""
    if config_version == 3:
        return cri_table(3) + ('pinned_images', 'sandbox')
    return cri_table(config_version) + ('sandbox_image',)


# runc's cgroup driver. kubelet and the runtime must use the same driver; on a host whose init
# is systemd, that is systemd (kubeadm's default cgroupDriver since Kubernetes 1.22). The key
# lives in the runc runtime's options table of the CRI plugin: version 2 files (1.x)
# plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options, version 3 files (2.x)
# plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options.
RUNC_TYPE = 'io.containerd.runc.v2'
# containerd 1.x decodes a runtimes.<name> table over the default map entry, not into it: a file
# that sets only runc.options leaves runtime_type = "" (checked with `containerd config dump` on
# 1.6.20 and 1.7 with such a file); 2.x merges plugin tables deeply and keeps the default type.
RUNC_TABLE_REPLACED_BEFORE = (2, 0, 0)


def runc_table(config_version):
    """Key path of the runc runtime table (holds runtime_type and options)."""
    base = ('plugins', RUNTIME_V3) if config_version == 3 else cri_table(config_version)
    return base + ('containerd', 'runtimes', 'runc')


def systemd_cgroup_key(config_version):
    """Key path of runc's SystemdCgroup option for a config file version."""
    return runc_table(config_version) + ('options', 'SystemdCgroup')


def runc_type_needed(major_version):
    """Whether a runc table written by hand must carry runtime_type itself (see RUNC_TABLE_REPLACED_BEFORE)."""
    return major_version < RUNC_TABLE_REPLACED_BEFORE[0]


def default_pause(version, config_version=None):
    """The pause image containerd pulls when the config names none (DEFAULT_PAUSE_BY_RELEASE).

    Unknown version: a version 3 file means 2.x, anything else 1.x (the oldest default of the major)."""
    if version is None:
        return DEFAULT_PAUSE[2 if config_version == 3 else 1]
    image = DEFAULT_PAUSE_BY_RELEASE[0][1]
    for since, ref in DEFAULT_PAUSE_BY_RELEASE:
        if version >= since:
            image = ref
    return image


# ---------------------------------------------------------------- config_path and the pull path
# Default config_path. 1.6/1.7: "" (no default; v1.6.20 pkg/cri/config/config_unix.go and v1.7.24
# same file set none; node: `containerd config default` of 1.6.20 and 1.7.24 prints config_path = "").
# 2.0 and 2.1: "" (v2.0.0 / v2.1.9 internal/cri/config/config_unix.go set none; node: 2.1.9 dumps
# config_path = ''). 2.2.0 and 2.2.1: DefaultImageConfig sets the colon list (v2.2.0
# internal/cri/config/config_unix.go:36) and an explicit "" of a migrated version 2 file becomes it
# too (v2.2.0 plugins/cri/images/plugin.go:213-221). 2.2.2 and later: the CRI images plugin sets it
# at init when config_path is empty and no `mirrors` are set (v2.2.2 plugins/cri/images/plugin.go:64-72,
# same in v2.3.0-v2.3.4), so an explicit "" gets it too.
DEFAULT_CONFIG_PATH_2_2 = CERTS_D + ':' + DOCKER_CERTS_D
CONFIG_PATH_DEFAULT_SINCE = (2, 2, 0)
CONFIG_PATH_DEFAULT_AT_INIT_SINCE = (2, 2, 2)

# The pull path. 1.x and 2.0 pull with containerd's client (v2.0.0 internal/cri/server/images/
# image_pull.go:210 c.client.Pull), the "local" path, which splits config_path with
# filepath.SplitList (v2.0.0 same file:412; 1.x pkg/cri/server/image_pull.go registryHosts).
# From 2.1.0 the CRI plugin pulls through the transfer service unless use_local_image_pull is set
# (v2.1.0 internal/cri/server/images/image_pull.go:184-187); that path passes config_path whole to
# registry.WithHostDir (line 312; v2.1.9 line 311, v2.2.0 line 312, v2.3.0 line 316), and
# config.HostDirFromRoot joins it to the host as one directory (v2.1.9-v2.3.4
# core/remotes/docker/config/hosts.go:292-303), so "a:b" is one directory that does not exist. The
# local path still splits it (v2.1.0 image_pull.go:491, v2.3.0 line 497).
# CheckLocalImagePullConfigs (v2.1.0 internal/cri/config/config.go:535-600, v2.2.0 line 537,
# v2.3.0 line 551; called at init when use_local_image_pull is false: v2.1.0
# plugins/cri/images/plugin.go:77) forces the local path on the first of these it finds, in this
# order, and logs "Found '<Name>' in CRI config which is incompatible with transfer service
# (<reason>). Falling back to local image pull mode." Defaults: disable_snapshot_annotations = true,
# max_concurrent_downloads = 3 (v2.1.0 internal/cri/config/config_unix.go:33-34).
# Node: on 2.1.9 the EKS AL2023 layout (colon list + discard_unpacked_layers = true) pulls through a
# certs.d mirror and the journal says "Found 'DiscardUnpackedLayers' ..."; without
# discard_unpacked_layers the same file ignores the mirror (molecule/facts).
TRANSFER_PULL_SINCE = (2, 1, 0)
LOCAL_PULL_LOG = 'Falling back to local image pull mode'
# (containerd's name in the log, key path in the images table, test of the effective value, what to change)
LOCAL_PULL_TRIGGERS = (
    ('DisableSnapshotAnnotations', ('disable_snapshot_annotations',),
     lambda v: v is False, 'disable_snapshot_annotations = false (default true)'),
    ('DiscardUnpackedLayers', ('discard_unpacked_layers',),
     lambda v: v is True, 'discard_unpacked_layers = true'),
    ('Registry.Mirrors', ('registry', 'mirrors'),
     bool, 'registry.mirrors (deprecated)'),
    ('Registry.Configs', ('registry', 'configs'),
     bool, 'registry.configs (deprecated)'),
    ('Registry.Auths', ('registry', 'auths'),
     bool, 'registry.auths (deprecated)'),
    ('MaxConcurrentDownloads', ('max_concurrent_downloads',),
     lambda v: v is not None and v != 3, 'max_concurrent_downloads other than 3'),
    ('ImagePullWithSyncFs', ('image_pull_with_sync_fs',),
     lambda v: v is True, 'image_pull_with_sync_fs = true'),
)
# Keys a migrated version 2 file (1.x layout) carries to the 2.x images plugin: at the top of the
# CRI table, and under its `containerd` table (v2.1.9 plugins/cri/images/plugin.go migrateConfig).
MIGRATED_TOP_KEYS = ('registry', 'image_decryption', 'max_concurrent_downloads', 'image_pull_progress_timeout',
                     'image_pull_with_sync_fs', 'stats_collect_period')
MIGRATED_CONTAINERD_KEYS = ('snapshotter', 'disable_snapshot_annotations', 'discard_unpacked_layers')


def default_config_path(version):
    """The config_path value containerd fills in when none is set ('' when it has no default)."""
    if version is None or version < CONFIG_PATH_DEFAULT_SINCE:
        return ''
    return DEFAULT_CONFIG_PATH_2_2


def effective_config_path(version, config_path, config_version=None, mirrors=False):
    """config_path as the CRI images plugin ends up with it ('' = none), from what the files set.

    ``config_path``: the merged value (None when no file sets it); ``mirrors``: whether the
    deprecated registry.mirrors table is non-empty."""
    value = config_path if isinstance(config_path, str) else ''
    if version is None or version < CONFIG_PATH_DEFAULT_SINCE:
        return value
    if version < CONFIG_PATH_DEFAULT_AT_INIT_SINCE:
        if config_path is None or (config_path == '' and config_version != 3):
            return DEFAULT_CONFIG_PATH_2_2
        return value
    if not value and not mirrors:
        return DEFAULT_CONFIG_PATH_2_2
    return value


def _lookup(table, keypath):
    for key in keypath:
        if not isinstance(table, dict):
            return None
        table = table.get(key)
    return table


def _deep_merge(dst, src):
    for key, value in src.items():
        if isinstance(value, dict) and isinstance(dst.get(key), dict):
            _deep_merge(dst[key], value)
        else:
            dst[key] = value
    return dst


def images_config_of(data):
    """The 2.x CRI images plugin table one parsed config file sets, in version 3 layout ({} if none).

    A version 3 file: plugins."io.containerd.cri.v1.images". A version 2 (or version-less) file is
    migrated: the keys of plugins."io.containerd.grpc.v1.cri" (or "cri") move as migrateConfig moves them."""
    import copy
    plugins = data.get('plugins') if isinstance(data, dict) and isinstance(data.get('plugins'), dict) else {}
    out = {}
    for name in ('cri', CRI_V2):
        cri = plugins.get(name)
        if not isinstance(cri, dict):
            continue
        for key in MIGRATED_TOP_KEYS:
            if key in cri:
                out[key] = copy.deepcopy(cri[key])
        if 'sandbox_image' in cri:
            out.setdefault('pinned_images', {})['sandbox'] = cri['sandbox_image']
        ctd = cri.get('containerd') if isinstance(cri.get('containerd'), dict) else {}
        for key in MIGRATED_CONTAINERD_KEYS:
            if key in ctd:
                out[key] = ctd[key]
    images = plugins.get(IMAGES_V3)
    if isinstance(images, dict):
        _deep_merge(out, copy.deepcopy(images))
    return out


def effective_images_config(datas):
    """The images plugin table of several parsed files merged in load order (2.x merges key by key)."""
    out = {}
    for data in datas:
        _deep_merge(out, images_config_of(data))
    return out


def local_pull_trigger(version, images):
    """(containerd name, what to change) of the first setting that forces the local pull path, or None."""
    if version is None or version < TRANSFER_PULL_SINCE:
        return None
    images = images if isinstance(images, dict) else {}
    for name, keypath, present, words in LOCAL_PULL_TRIGGERS:
        if present(_lookup(images, keypath)):
            return name, words
    return None


def pull_path(version, images):
    """How containerd's CRI plugin pulls: ('transfer' | 'local', reason in words).

    ``images``: the effective images plugin table (effective_images_config). The reason names what
    chose the path and what would switch it. Unknown version: 'local' (the reading that never
    claims certs.d is ignored when it may not be)."""
    images = images if isinstance(images, dict) else {}
    if version is None:
        return 'local', 'containerd version unknown: assumed to split config_path as the local pull path does'
    label = '%d.%d.%d' % tuple(version[:3])
    if version < TRANSFER_PULL_SINCE:
        return 'local', ('containerd %s pulls with its own client (the local pull path): CRI pulls use the '
                         'transfer service only from 2.1.0' % label)
    if images.get('use_local_image_pull') is True:
        return 'local', ('containerd %s pulls with the local pull path because use_local_image_pull = true; '
                         'without it, pulls go through the transfer service' % label)
    hit = local_pull_trigger(version, images)
    if hit:
        name, words = hit
        return 'local', ('containerd %s pulls with the local pull path because the config sets %s, which the '
                         'transfer service does not support (it logs "Found \'%s\' in CRI config which is '
                         'incompatible with transfer service ... %s"); without it (and without '
                         'use_local_image_pull = true) pulls go through the transfer service' % (
                             label, words, name, LOCAL_PULL_LOG))
    return 'transfer', ('containerd %s pulls through the transfer service (the default since 2.1.0); '
                        'use_local_image_pull = true, or any of %s, switches it to the local pull path' % (
                            label, ', '.join(t[3] for t in LOCAL_PULL_TRIGGERS[:2])))


def pull_path_from_log(lines):
    """What containerd's own log says about the pull path: ('local', the Found line) or None."""
    for line in lines or ():
        if LOCAL_PULL_LOG in str(line):
            return 'local', str(line).strip()
    return None


def splits_config_path(path):
    """Whether config_path "a:b" means two directories on this pull path (False: one named "a:b")."""
    return path != 'transfer'


def config_path_roots(path, config_path):
    """The certs.d roots a config_path value stands for on this pull path (filepath.SplitList or whole)."""
    if not config_path:
        return []
    if not splits_config_path(path):
        return [config_path]
    return [p for p in config_path.split(':') if p]


def splits_colon_list(version, images=None):
    """Whether config_path "a:b" means two directories for this version and images table."""
    return splits_config_path(pull_path(version, images)[0])


def supports_default_dir(version):
    return version is None or version >= DEFAULT_DIR_SINCE


def upstream(registry):
    """Endpoint containerd tries last for ``registry`` when hosts.toml has no server (None for "*")."""
    if registry == '*':
        return None
    return UPSTREAMS.get(registry, 'https://' + registry)


def host_dir_name(registry):
    """The certs.d directory this collection writes for ``registry`` ("*" is `_default`)."""
    return '_default' if registry == '*' else registry


def host_dir_candidates(registry):
    """Directories containerd tries for ``registry``, in order; the first that exists wins."""
    if registry == '*':
        return ['_default']
    out = []
    host, sep, port = registry.rpartition(':')
    if sep and port.isdigit() and not registry.endswith(']'):
        out.append('%s_%s_' % (host, port))
    out.extend([registry, '_default'])
    return out


def dir_registry(name):
    """Registry a certs.d directory name stands for ("*" for `_default`)."""
    if name == '_default':
        return '*'
    if name.endswith('_') and name.count('_') >= 2:
        host, _sep, port = name[:-1].rpartition('_')
        if port.isdigit():
            return '%s:%s' % (host, port)
    return name


def config_file(ev):
    """config.toml of the running containerd (--config / -c), else the default path."""
    for proc in ev.processes_named('containerd'):
        flags = flag_values(proc.get('cmdline'), ('--config', '-c'))
        value = flags.get('--config') or flags.get('-c')
        if value:
            # relative to containerd's working directory, which is / under systemd
            return posixpath.normpath(posixpath.join('/', value))
    return CONFIG


def version_of(ev, runtime):
    """containerd version tuple from the diagnosis' runtime dict, else from the evidence, or None."""
    runtime = runtime or {}
    for text in (runtime.get('containerd_version'),
                 runtime.get('version') if runtime.get('name') == 'containerd' else None,
                 ev.version_output('containerd')):
        v = parse_version(text)
        if v:
            return v
    return None


# ---------------------------------------------------------------- imports
# containerd loads the main file, then its `imports`, breadth first, each file once (a file
# already loaded is skipped, so a cycle ends). An entry with "*" is a glob (filepath.Glob);
# any other entry is cleaned and, when relative, joined to the importing file's directory.
# A relative glob: 1.6.20 resolves it against containerd's working directory (/ under systemd),
# 1.7.24 against the importing file's directory (node). At the tags: the join moved before the glob
# in v1.6.29 (services/server/config/config.go:301 join, 305 Glob; v1.6.28 globs first at line 300),
# v1.7.16 (line 265 join, 269 Glob; v1.7.15 globs first at line 262) and every 2.x (v2.0.0
# cmd/containerd/server/config/config.go:403 join, 407 Glob). A named file that does not exist stops containerd from starting ("open
# ...: no such file or directory"); a glob that matches nothing is fine. An imported file's
# [plugins."<id>"] table replaces the whole table of that plugin (no deep merge);
# disabled_plugins and imports lists are appended. Source: services/server/config/config.go
# (LoadConfig, resolveImports, mergeConfig), 1.6 to 2.x.
IMPORT_GLOB = '*'
# (first release on the 1.6 branch, on the 1.7 branch, from 2.0 on)
RELATIVE_GLOB_JOINED_SINCE = ((1, 6, 29), (1, 7, 16), (2, 0, 0))
# node_evidence follows imports this many levels deep (module_utils/_evidence.py MAX_IMPORT_DEPTH).
IMPORT_DEPTH_GATHERED = 8


def glob_match(pattern, path):
    """Go filepath.Match on '/'-separated paths: a wildcard never crosses a '/'."""
    import fnmatch
    pparts, parts = pattern.split('/'), path.split('/')
    return len(pparts) == len(parts) and all(fnmatch.fnmatchcase(n, p) for p, n in zip(pparts, parts))


def relative_glob_joined(version):
    """Whether a relative glob in `imports` is joined to the importing file's directory (None: unknown)."""
    if version is None:
        return None
    return since_on_branch(version, RELATIVE_GLOB_JOINED_SINCE)


def since_on_branch(version, firsts):
    """Whether ``version`` has a change that reached each branch at its own release.

    ``firsts``: the first release with it per branch, oldest branch first; the last entry holds for
    every later branch; a branch older than the first entry has no release with it."""
    for first in firsts:
        if version[:2] == first[:2]:
            return version >= first
    return version >= firsts[-1]


def import_targets(parent, entry, known):
    """Files containerd loads for one `imports` entry of ``parent``, as (paths, is_glob).

    ``known``: paths of the files the evidence holds (a glob is expanded over them). A relative
    glob is taken as joined to the parent's directory (see relative_glob_joined).
    """
    if IMPORT_GLOB in entry:
        if not entry.startswith('/'):
            entry = posixpath.join(posixpath.dirname(parent), entry)
        return sorted(p for p in known if glob_match(posixpath.normpath(entry), p)), True
    path = posixpath.normpath(entry)
    if not path.startswith('/'):
        path = posixpath.normpath(posixpath.join(posixpath.dirname(parent), path))
    return [path], False


def cri_owner_keys(config_version):
    """Plugin ids whose table holds the registry for a config version (v1 short name included)."""
    if config_version == 3:
        return (IMAGES_V3,)
    return (CRI_V2, 'cri')


# ---------------------------------------------------------------- read from containerd's source
# Each fact below names the tag, file and line it was read from (github.com/containerd/containerd).

# `mirrors` with a non-empty config_path stops the CRI (images) plugin on every version:
# v1.6.20 pkg/cri/config/config.go:402, v1.7.24 pkg/cri/config/config.go:510,
# v2.0.0 internal/cri/config/config.go:470, v2.1.9 line 489, v2.2.0 line 491, v2.3.0 line 505
# ("invalid cri image config": v2.1.0 plugins/cri/images/plugin.go:64).
# `configs.tls` with config_path is refused only by 1.x (v1.6.20 config.go:415, v1.7.24 config.go:524).
# 2.0 removed the field: RegistryConfig has only `auth` (v2.0.0 internal/cri/config/config.go:238-241,
# v2.1.9 line 252-255, v2.3.4 line 254-257), so `configs.<host>.tls` is ignored with or without
# config_path; `configs.<host>.auth` is still read for credentials (v2.1.9
# internal/cri/server/images/image_pull.go:108 and 143). A non-empty `configs` also forces the local
# pull path on 2.1+ (LOCAL_PULL_TRIGGERS).
CONFIGS_TLS_REFUSED_BEFORE = (2, 0, 0)
CONFIGS_TLS_REMOVED_SINCE = (2, 0, 0)
# 2.2.0 and 2.2.1 put the default config_path into DefaultImageConfig (v2.2.0
# internal/cri/config/config_unix.go:36), so `mirrors` without config_path meets a non-empty
# config_path and the CRI images plugin fails; they also turn an explicit config_path = "" of a
# migrated version 2 file into the default (v2.2.0 plugins/cri/images/plugin.go:213-221, commit
# 5386802f8). 2.2.2 (commit a20dead7c, v2.2.2 plugins/cri/images/plugin.go:64-72, same in v2.3.x)
# sets the default only when both mirrors and config_path are empty.
MIRRORS_HIT_DEFAULT_CONFIG_PATH = ((2, 2, 0), (2, 2, 2))

# A hosts.toml without any [host."..."] table: 1.x fails with "invalid `host` tree" and drops the
# file (v1.6.20 remotes/docker/config/hosts.go:500, v1.7.24 same file:534); 2.x reads the tables in
# file order with a parser that needs none (v2.0.0+ core/remotes/docker/config/hosts.go getSortedHosts,
# v2.1.9 line 548).
HOST_TABLE_REQUIRED_BEFORE = (2, 0, 0)

# Imports. 1.x: an imported file's [plugins."<id>"] table replaces the whole table of that plugin
# (v1.6.20 services/server/config/config.go:336, v1.7.24 same file:299-307 "Replace entire sections").
# 2.x merges plugin tables key by key (commit a21e379b6 "Allow sections of Plugins to be merged";
# v2.1.9 cmd/containerd/server/config/config.go:428-445 no longer replaces Plugins; test
# TestMergingPluginsWithTwoCriDropInConfigs, config_test.go:288).
# Every version globs an import only when it contains "*"; any other entry is opened as is and a
# missing file stops containerd (v1.7.24 services/server/config/config.go:266-290 resolveImports +
# loadConfigFile; v2.1.9 cmd/containerd/server/config/config.go:341-348 os.Open, 393-410).
IMPORT_PLUGIN_DEEP_MERGE_SINCE = (2, 0, 0)

# A config without `version` (or version 1): 1.x reads plugin tables by short id ("cri") and
# ignores URI-named tables; 2.x migrates it on load: short ids become URIs and URI-named tables
# are kept (v2.1.9 cmd/containerd/server/config/config.go:47-49 migrations, 148-200 v1Migrate,
# 311-314 LoadConfig), then the version 2 -> 3 CRI migration applies (plugins/cri/images/plugin.go
# migrateConfig). So a version-less file with plugins."io.containerd.grpc.v1.cri" works on 2.x.
VERSIONLESS_MIGRATED_SINCE = (2, 0, 0)

# disabled_plugins entries in a version >= 2 file must be URIs: 1.x needs 4 dot-separated parts
# (v1.6.20 services/server/config/config.go ValidateV2, "invalid disabled plugin URI"), 2.x at
# least one dot (v2.1.9 cmd/containerd/server/config/config.go:117-121). Otherwise containerd
# does not start. In a version 1 file the short id "cri" is valid and disables CRI (1.x by id;
# 2.x migrates it to io.containerd.grpc.v1.cri, config.go:196-198).
# disabled_plugins must be a TOML array of strings (DisabledPlugins []string, v1.7.24
# services/server/config/config.go:56, v2.1.9 cmd/containerd/server/config/config.go:75):
# a string fails to decode and containerd does not start.

# hosts.toml URLs: a URL that does not start with "http" gets "https://" prepended, then
# url.Parse; an error drops the whole file ("failed to decode hosts.toml", then only certificate
# files of the directory are used) (v1.7.24 remotes/docker/config/hosts.go:421-426 and 315;
# v2.1.9 core/remotes/docker/config/hosts.go:430-435 and 329). The path is cleaned with
# path.Clean before "/v2" is appended (v1.7.24 hosts.go:431, v2.1.9 hosts.go:440), so only a
# bare "https://h/" (path "/") becomes "//v2".
# certs.d lookup: os.Stat of each candidate directory; any error other than "does not exist"
# (a symlink loop: ELOOP) fails the pull (v1.7.24 hosts.go:281-285, v2.1.9 hosts.go:295-299).


def version_before(version, limit):
    """True when ``version`` is known and older than ``limit``."""
    return version is not None and version < limit


def mirrors_conflict_without_config_path(version, config_path=None, config_version=None):
    """Whether `mirrors` next to an absent (None) or empty config_path stops the CRI plugin.

    Only 2.2.0 and 2.2.1: absent -> the default applies; "" in a version 2 (migrated) file -> too."""
    lo, hi = MIRRORS_HIT_DEFAULT_CONFIG_PATH
    if version is None or not lo <= version < hi:
        return False
    return config_path is None or (config_path == '' and config_version != 3)


def refuses_configs_tls_with_config_path(version):
    """1.x refuses configs.tls next to config_path; 2.x accepts and ignores it (None: assume 1.x)."""
    return version is None or version < CONFIGS_TLS_REFUSED_BEFORE


def configs_tls_ignored(version, config_path):
    """Whether registry.configs.<host>.tls is silently ignored: always on 2.x (the field is gone);
    1.x reads it without config_path and refuses it with one (cri_load_refusals)."""
    if version is not None and version >= CONFIGS_TLS_REMOVED_SINCE:
        return True
    return False


def requires_host_table(version):
    """Whether a hosts.toml without [host."..."] is dropped (1.x; None: assume 1.x)."""
    return version is None or version < HOST_TABLE_REQUIRED_BEFORE


def imports_replace_plugin_tables(version):
    """Whether an imported [plugins."<id>"] table replaces the earlier one whole (1.x; None: assume 1.x)."""
    return version is None or version < IMPORT_PLUGIN_DEEP_MERGE_SINCE


def migrates_versionless(version):
    """Whether a version-less config is migrated (2.x), so URI-named tables in it are read."""
    return version is not None and version >= VERSIONLESS_MIGRATED_SINCE


def disabled_plugin_uri_ok(name, version):
    """Whether a disabled_plugins entry is accepted in a version >= 2 file by this containerd."""
    if version is not None and version >= (2, 0, 0):
        return '.' in name
    return len(name.split('.')) >= 4


def clean_url_path(upath):
    """path.Clean of a URL path as containerd applies it ('' stays '')."""
    if not upath:
        return upath
    cleaned = posixpath.normpath(upath)
    if cleaned.startswith('//'):
        cleaned = '/' + cleaned.lstrip('/')
    return cleaned


# ---------------------------------------------------------------- what the CRI plugin refuses at load
# `containerd config dump` parses a file but does not load the CRI plugin, so it accepts files
# the plugin then refuses (node: the containerd_registry scenario; source lines above at
# CONFIGS_TLS_REFUSED_BEFORE and MIRRORS_HIT_DEFAULT_CONFIG_PATH). A candidate config is
# checked against these rules before it may replace a file.

def cri_load_refusals(data, version):
    """Why the CRI plugin of ``version`` would refuse the parsed config ``data`` (a list of reasons)."""
    out = []
    if not isinstance(data, dict):
        return out
    config_version = data.get('version', 1)
    disabled = data.get('disabled_plugins')
    if isinstance(disabled, list):
        hit = [n for n in disabled if n in CRI_PLUGIN_NAMES]
        if hit:
            out.append('disabled_plugins removes the CRI plugin (%s)' % ', '.join(hit))
    elif disabled is not None:
        out.append('disabled_plugins is not an array: containerd does not start')
    table = data
    for key in registry_table(config_version):
        table = table.get(key) if isinstance(table, dict) else None
    if not isinstance(table, dict):
        return out
    config_path = table.get('config_path') or ''
    if table.get('mirrors') and config_path:
        out.append('`mirrors` cannot be set when `config_path` is provided ("invalid cri image config")')
    if table.get('mirrors') and not config_path and version and \
            MIRRORS_HIT_DEFAULT_CONFIG_PATH[0] <= version < MIRRORS_HIT_DEFAULT_CONFIG_PATH[1]:
        out.append('`mirrors` meets the default config_path of containerd 2.2.0/2.2.1 ("invalid cri image config")')
    configs = table.get('configs') if isinstance(table.get('configs'), dict) else {}
    if config_path and major(version) < CONFIGS_TLS_REFUSED_BEFORE[0] and \
            any(isinstance(c, dict) and c.get('tls') for c in configs.values()):
        out.append('`configs.tls` cannot be set when `config_path` is provided (containerd 1.x)')
    return out


def socket_of(ev):
    """The CRI socket containerd itself serves: `[grpc] address` of its config.toml, else the default.

    After a restart this is what to wait for: kubelet's endpoint may name a proxy in front of it
    (an image-cri-shim) or a socket that is itself broken.
    """
    from .. import parse  # a fact reads the file as containerd does
    entry = ev.file(config_file(ev)) or {}
    text = entry.get('content')
    if text and not entry.get('truncated'):
        try:
            data = parse.load_toml(text.lstrip('\ufeff'))[0]
        except parse.ParseError:
            data = {}
        grpc = data.get('grpc') if isinstance(data.get('grpc'), dict) else {}
        address = grpc.get('address')
        if isinstance(address, str) and address.startswith('/'):
            return address
    return SOCKET


# ---------------------------------------------------------------- the route of a pull
# How the CRI plugin turns an image's registry into the ordered endpoints it tries. Read from
# remotes/docker/config/hosts.go (v1.6.20, v1.7.24), core/remotes/docker/config/hosts.go (v2.1.9),
# pkg/cri/server/image_pull.go (1.x) and internal/cri/server/images/image_pull.go (2.x).
# - hostDirFromRoots: each config_path root in turn; in a root <host>_<port>_, <host:port>,
#   _default (config_unix.go hostPaths); the first directory that exists wins.
# - loadHostDir: a missing or empty hosts.toml, or one that fails to decode, leaves only the
#   directory's certificate files: one host entry without a name, filled in as the upstream.
# - parseHostsFile: [host."<url>"] tables in file order, then the top-level entry (`server`) last;
#   a missing server is filled in as the implicit upstream (docker.io -> registry-1.docker.io).
# - parseHostConfig: "https://" is prepended when the value does not start with "http"; the path
#   is cleaned and "/v2" appended unless it ends with /v2 or override_path = true; no capabilities
#   means pull, resolve and push; an unknown capability fails the whole file.
# - Resolver.Resolve: a tag is resolved only on hosts with pull AND resolve, a digest on hosts
#   with pull; every host is tried in order after a connection error, a 404 or any status > 399.
# - An http host with TLS settings (ca, client or skip_verify) is tried as https first and falls
#   back to http (HTTPFallback), by release: none before v1.6.25 and in v1.7.0-v1.7.6; v1.7.7 on
#   every port (remotes/docker/config/hosts.go:242); v1.6.25+ and v1.7.8+ only with an explicit
#   port other than 80 (v1.6.25 / v1.7.8 hosts.go:254-256 `port != "" && port != "80"`); 2.x on
#   every port but 80, a missing port included (v2.0.0 core/remotes/docker/config/hosts.go:252-254,
#   v2.1.9 line 220-222 `port != "80"`).
# - The implicit upstream of a loopback registry (localhost, 127.0.0.0/8, ::1): before v1.6.25 and
#   in v1.7.0-v1.7.7 http with verification off (v1.6.20 / v1.7.7 hosts.go:102-110); from v1.6.25,
#   v1.7.8 and 2.x https for no port or 443, plain http for 80, else http with verification off,
#   which the fallback above tries as https first (v1.6.25 / v1.7.8 hosts.go:102-120, v2.1.9 104-122).
# - Without config_path, the deprecated `mirrors` table: mirrors[<host>] else mirrors["*"],
#   scheme-less endpoints get http for loopback hosts and https otherwise, an endpoint keeps its
#   path ("/v2" only when it has none), and the registry's own endpoint is appended unless an
#   endpoint already names the registry host (registryEndpoints).
DOCKER_HUB_API = 'registry-1.docker.io'
# Releases with the https-first fallback (see above), per branch; 1.7.7 is the one on every port.
HTTP_TLS_FALLBACK_SINCE = ((1, 6, 25), (1, 7, 7), (2, 0, 0))
HTTP_FALLBACK_ANY_PORT = ((1, 7, 7),)
LOOPBACK_BY_PORT_SINCE = ((1, 6, 25), (1, 7, 8), (2, 0, 0))
# hosts.toml capabilities: pull, resolve, push (v1.6.20-v2.1.9 hosts.go parseHostConfig, v2.1.9
# core/remotes/docker/config/hosts.go:455-462: any other name fails the whole file); `referrers`
# from v2.2.0 (same file:461-462), and a host without capabilities then has it too (line 468).
CAPABILITIES = ('pull', 'resolve', 'push')
REFERRERS_SINCE = (2, 2, 0)


def capabilities(version):
    """Capability names hosts.toml accepts on this containerd (None: the newest set)."""
    if version is None or version >= REFERRERS_SINCE:
        return CAPABILITIES + ('referrers',)
    return CAPABILITIES


def is_loopback_host(hostport):
    """docker.IsLocalhost: localhost or a loopback IP, with or without a port."""
    host = hostport
    if host.startswith('['):
        host = host[1:].split(']', 1)[0]
    elif host.count(':') == 1:
        host = host.split(':', 1)[0]
    if host == 'localhost':
        return True
    if host == '::1':
        return True
    parts = host.split('.')
    return len(parts) == 4 and parts[0] == '127' and all(p.isdigit() and int(p) < 256 for p in parts)


def host_port(hostport):
    """(host, port or '') of host[:port] / [v6]:port."""
    if hostport.startswith('['):
        host, _sep, rest = hostport[1:].partition(']')
        return host, rest.lstrip(':')
    if hostport.count(':') == 1:
        host, port = hostport.split(':', 1)
        return host, port
    return hostport, ''


def http_tls_fallback(version, port=None):
    """Whether an http host with TLS settings is tried as https first (None version: assume 2.x).

    ``port``: the host's explicit port ('' when none); None asks whether the release has the
    fallback at all."""
    if version is None:
        return port != '80'
    if not since_on_branch(version, HTTP_TLS_FALLBACK_SINCE):
        return False
    if port is None:
        return True
    if tuple(version[:3]) in HTTP_FALLBACK_ANY_PORT:
        return True  # v1.7.7 hosts.go:242 checks no port at all
    if version[0] >= 2:
        return port != '80'
    return port not in ('', '80')


def implicit_upstream(registry, version):
    """(scheme, host, https_first_fallback, why) of the endpoint containerd fills in for ``registry``."""
    if registry == 'docker.io':
        return 'https', DOCKER_HUB_API, False, 'Docker Hub\'s API host'
    if is_loopback_host(registry):
        _host, port = host_port(registry)
        if version is not None and not since_on_branch(version, LOOPBACK_BY_PORT_SINCE):
            # http with verification off, which counts as TLS settings for the fallback
            first = http_tls_fallback(version, port)
            return 'http', registry, first, 'a loopback registry is http%s (containerd %d.%d.%d)' % (
                ', https first' if first else '', version[0], version[1], version[2])
        if port in ('', '443'):
            return 'https', registry, False, 'a loopback registry on the https port'
        if port == '80':
            return 'http', registry, False, 'a loopback registry on port 80'
        return 'http', registry, True, 'a loopback registry: https first, then http'
    return 'https', registry, False, 'the registry itself'


def legacy_scheme(hostport):
    """Scheme the deprecated mirrors table gives a scheme-less endpoint (defaultScheme)."""
    return 'http' if is_loopback_host(hostport) else 'https'


def default_host(registry):
    """docker.DefaultHost: the API host of a registry name."""
    return DOCKER_HUB_API if registry == 'docker.io' else registry
