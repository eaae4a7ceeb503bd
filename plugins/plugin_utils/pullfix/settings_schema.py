# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Every kubenode.pullfix setting, and the remediation roles, defined once (pure data).

``tests/scripts/generate_settings.py`` (``make generate``) writes from this module:
``roles/pipeline/defaults/main.yml`` and ``roles/node_runtime/defaults/main.yml`` (the defaults),
``roles/pipeline/vars/main.yml`` (``__pullfix_settings``, the map the controller reads) and every
``roles/*/meta/argument_specs.yml`` (each role lists only the options it reads). The diagnosis
takes its defaults (``controller_defaults``) and the planner table its trigger keys
(``trigger_keys``) from here; a unit test holds ``playbooks/fix_pull.yml``'s tags to
``REMEDIATION_ROLES``.

A setting is a dict:

- ``name``, ``type``, ``default``, ``choices``, ``elements``, ``description`` (a list of
  sentences), ``version_added``: as in an argument spec.
- ``roles``: the roles whose argument spec lists it (the internal ``pipeline`` role documents
  every setting whose default it holds, and the play-level ones).
- ``key``: its name in ``__pullfix_settings`` (the controller's view), or None when the
  controller does not read it. ``map_value``: the template for that entry when it is more than
  the variable with ``| bool`` / ``| int``.
- ``asks_for``: the remediation role that runs when the setting is set, even without a finding.
- ``defaults_in``: the role whose ``defaults/main.yml`` holds the default; None when no role
  file may hold it (``defaults_note`` says why: a play keyword, a playbook's own argument, or a
  default that would hide a required choice).
- ``level``: ``role`` (inventory, group_vars, -e) or ``play`` (a play keyword of a playbook:
  extra vars only, since play keywords are templated before any host's variables exist).
- ``role_overrides``: {role: {field: value}} where one role asks more of the setting
  (node_runtime requires pullfix_runtime and offers fewer choices).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# Roles whose argument spec lists the shared settings they read. ``doctor`` has two entry points.
DOCTOR = 'doctor'
PIPELINE = 'pipeline'
NODE_RUNTIME = 'node_runtime'

# The remediation roles, in planning order: name, fix_pull.yml tag, what the role fixes.
# The settings that ask for a role are those with ``asks_for`` set to it (``trigger_keys``).
REMEDIATION_ROLES = (
    {'name': 'containerd_registry', 'tag': 'containerd_registry'},
    {'name': 'registries_conf', 'tag': 'registries_conf'},
    {'name': 'runtime_socket', 'tag': 'runtime_socket'},
    {'name': 'cri_shim', 'tag': 'cri_shim'},
    {'name': 'proxy_env', 'tag': 'proxy_env'},
    {'name': 'node_runtime', 'tag': 'node_runtime'},
)

_COMMON = ('verify_images',)
_IMAGES = 'Images pulled through kubelet\'s image endpoint (CRI C(PullImage)) to prove the node can pull, after any change.'
_TIMEOUT = 'Seconds to wait for the runtime\'s CRI service after a restart before the changed files are rolled back.'
_MIRRORS = [
    'Registry C(host[:port]), or C(*) for every registry, to its mirror settings.',
    'Each value: C(endpoints) (list of URLs with http:// or https://, tried in order), C(fallback) (bool, default true: the'
    ' upstream is tried last; false: mirror only), C(server) (upstream override), C(ca) and C(client) (absolute paths),'
    ' C(skip_verify) (bool, only ever true when set here), C(headers) (dict; files that hold them are 0600).',
    'containerd gets C(certs.d/<registry>/hosts.toml), k3s and RKE2 C(registries.yaml), containers-image'
    ' C([[registry]]) tables (where C(*), C(fallback=false), C(ca), C(client), C(headers) and C(skip_verify) have no'
    ' place and are reported, not written).',
]

SETTINGS = (
    {
        'name': 'pullfix_runtime', 'key': 'runtime', 'type': 'str', 'default': 'auto',
        'choices': ['auto', 'containerd', 'k3s', 'rke2', 'crio', 'docker'],
        'description': ['The runtime the node is meant to use; C(auto) (the default) detects it.'],
        'version_added': '0.1.0', 'roles': (DOCTOR, NODE_RUNTIME),
        'map_value': "{{ pullfix_runtime | default('auto') }}",
        'defaults_in': None,
        # A role default would reach node_runtime's argument validation (the roles import the pipeline
        # statically, which makes its defaults visible play-wide) and stand in for the required choice.
        'defaults_note': 'node_runtime requires an explicit choice, and a default here would reach its argument '
                         'validation and stand in for it; unset means auto everywhere else.',
        'role_overrides': {NODE_RUNTIME: {
            'required': True, 'choices': ['containerd', 'docker'], 'default': None, 'version_added': '0.4.0',
            'description': [
                'The runtime to provision; required, it has no default. C(auto) and the other values the doctor'
                ' accepts are refused here. CRI-O is not offered because Debian 12 and 13 carry no C(cri-o) package.'],
        }},
    },
    {
        'name': 'pullfix_registry_mirrors', 'key': 'registry_mirrors', 'type': 'dict', 'default': {},
        'description': _MIRRORS, 'version_added': '0.1.0', 'asks_for': 'containerd_registry',
        'roles': (DOCTOR, 'containerd_registry', 'registries_conf', NODE_RUNTIME),
    },
    {
        'name': 'pullfix_registry_takeover', 'key': 'registry_takeover', 'type': 'bool', 'default': True,
        'description': [
            'A C(hosts.toml) that kubenode.pullfix did not write, for a registry declared in O(pullfix_registry_mirrors),'
            ' is replaced (its backup is named in the report).',
            'C(false) refuses instead and fails the host before anything is written. Files of registries that are not'
            ' declared are never touched.'],
        'version_added': '0.2.0', 'roles': ('containerd_registry',),
    },
    {
        'name': 'pullfix_search_registries', 'key': 'search_registries', 'type': 'list', 'elements': 'str', 'default': [],
        'description': ['Wanted containers-image C(unqualified-search-registries) (CRI-O, podman), in order; empty means'
                        ' no opinion.'],
        'version_added': '0.1.0', 'asks_for': 'registries_conf', 'roles': (DOCTOR, 'registries_conf'),
    },
    {
        'name': 'pullfix_short_name_mode', 'key': 'short_name_mode', 'type': 'str', 'default': None,
        'choices': ['enforcing', 'permissive', 'disabled', None],
        'description': ['Wanted containers-image C(short-name-mode), written to the collection\'s drop-in.',
                        'Null (the default) leaves the node\'s choice alone.'],
        'version_added': '0.1.0', 'asks_for': 'registries_conf', 'roles': (DOCTOR, 'registries_conf'),
    },
    {
        'name': 'pullfix_local_registry', 'key': 'local_registry', 'type': 'str', 'default': None,
        'description': [
            'The node-local registry (Sealos C(sealos.hub:5000)), C(host[:port]) or a URL. Becomes image-cri-shim\'s'
            ' C(address) (with the scheme the file already uses, else http) and kubeadm\'s C(imageRepository).',
            'Null leaves the shim\'s C(address) and kubeadm alone.'],
        'version_added': '0.1.0', 'asks_for': 'cri_shim', 'roles': (DOCTOR, 'cri_shim'),
    },
    {
        'name': 'pullfix_sandbox_image', 'key': 'sandbox_image', 'type': 'str', 'default': None,
        'description': ['The pause (sandbox) image written into the runtime\'s configuration, when it must come from a'
                        ' private registry.'],
        'version_added': '0.1.0', 'asks_for': 'containerd_registry', 'roles': (DOCTOR, 'containerd_registry'),
    },
    {
        'name': 'pullfix_verify_images', 'key': 'verify_images', 'type': 'list', 'elements': 'str', 'default': [],
        'description': [_IMAGES], 'version_added': '0.1.0',
        'roles': (DOCTOR, 'containerd_registry', 'cri_shim', NODE_RUNTIME, 'proxy_env', 'registries_conf',
                  'runtime_socket'),
    },
    {
        'name': 'pullfix_extra_files', 'key': None, 'type': 'list', 'elements': 'str', 'default': [],
        'description': ['More absolute paths on the node to read into the evidence (e.g. a kubeadm configuration kept'
                        ' elsewhere).'],
        'version_added': '0.1.0', 'roles': (DOCTOR,),
    },
    {
        'name': 'pullfix_restart_timeout', 'key': None, 'type': 'int', 'default': 60,
        'description': [_TIMEOUT], 'version_added': '0.1.0',
        'roles': ('containerd_registry', 'cri_shim', NODE_RUNTIME, 'proxy_env', 'runtime_socket'),
    },
    {
        'name': 'pullfix_report_dir', 'key': None, 'type': 'str', 'default': None,
        'description': ['Controller directory for C(<host>.json), C(summary.md) and C(junit.xml); null means'
                        ' C(pullfix-report) in the directory ansible-playbook runs in.'],
        'version_added': '0.1.0', 'roles': (DOCTOR,),
    },
    {
        'name': 'pullfix_short_name_aliases', 'key': 'short_name_aliases', 'type': 'dict', 'default': {},
        'description': ['Short name to C(registry/repository) (no tag, no digest) aliases, written as C([aliases]) to'
                        ' the collection\'s C(registries.conf.d) drop-in.'],
        'version_added': '0.2.0', 'asks_for': 'registries_conf', 'roles': ('registries_conf',),
    },
    {
        'name': 'pullfix_registries_conf_convert_v1', 'key': 'registries_conf_convert_v1', 'type': 'bool',
        'default': False,
        'description': ['Convert a v1-only main C(/etc/containers/registries.conf) to v2 (backup kept); v1 drop-ins are'
                        ' always converted.'],
        'version_added': '0.2.0', 'roles': ('registries_conf',),
    },
    {
        'name': 'pullfix_socket_consumers', 'key': 'socket_consumers', 'type': 'list', 'elements': 'str', 'default': [],
        'description': ['systemd units that connect to the runtime socket (C(spegel) or C(spegel.service)); each gets a'
                        ' drop-in ordering it after the runtime and waiting (bounded) for the socket.'],
        'version_added': '0.2.0', 'asks_for': 'runtime_socket', 'roles': ('runtime_socket',),
    },
    {
        'name': 'pullfix_socket_compat_link', 'key': 'socket_compat_link', 'type': 'bool', 'default': False,
        'description': ['A symlink at C(/run/containerd/containerd.sock) to the runtime\'s real socket, recreated at boot'
                        ' by a tmpfiles.d entry, when the runtime listens elsewhere. A file, directory or other socket at'
                        ' that path is never replaced.'],
        'version_added': '0.2.0', 'asks_for': 'runtime_socket', 'roles': ('runtime_socket',),
    },
    {
        'name': 'pullfix_socket_group', 'key': 'socket_group', 'type': 'str', 'default': None,
        'description': ['Group (name from the node\'s C(/etc/group), or gid) whose members may use the runtime socket'
                        ' (mode 0660, never world access); null means no opinion.'],
        'version_added': '0.1.0', 'asks_for': 'runtime_socket', 'roles': (DOCTOR, 'runtime_socket'),
    },
    {
        'name': 'pullfix_shim_registry_unit', 'key': 'shim_registry_unit', 'type': 'str', 'default': 'registry.service',
        'description': ['The local registry\'s systemd unit that image-cri-shim is ordered after and wants (Sealos:'
                        ' C(registry.service)).'],
        'version_added': '0.2.0', 'roles': ('cri_shim',),
    },
    {
        'name': 'pullfix_shim_wait_timeout', 'key': 'shim_wait_timeout', 'type': 'int', 'default': 60,
        'description': ['Seconds image-cri-shim waits at start for the runtime socket and the registry\'s C(/v2/) before'
                        ' starting anyway.'],
        'version_added': '0.2.0', 'roles': ('cri_shim',),
    },
    {
        'name': 'pullfix_explain_images', 'key': 'explain_images', 'type': 'list', 'elements': 'str', 'default': [],
        'description': ['Images whose route the report shows (the endpoints the runtime tries, in order, with the file'
                        ' and line that put each there), besides O(pullfix_verify_images); nothing is pulled for them.'],
        'version_added': '0.2.0', 'roles': (DOCTOR, 'proxy_env'),
    },
    {
        'name': 'pullfix_explain_podman', 'key': 'explain_podman', 'type': 'bool', 'default': False,
        'description': ['Also show the route podman (containers-image) takes, on nodes whose runtime is not CRI-O.'],
        'version_added': '0.2.0', 'roles': (DOCTOR,),
    },
    {
        'name': 'pullfix_containerd_systemd_cgroup', 'key': 'systemd_cgroup', 'type': 'raw', 'default': None,
        'description': [
            'runc\'s C(SystemdCgroup) in containerd\'s C(config.toml): C(true), C(false), or C(auto) (true when systemd'
            ' is the node\'s init).',
            'Null (the default) leaves the file\'s choice; the node_runtime role then uses C(auto) under containerd.'],
        'version_added': '0.4.0', 'roles': ('containerd_registry', NODE_RUNTIME),
        # Unset, a role may put its own choice in (node_runtime: auto under containerd).
        'map_value': ('{{ pullfix_containerd_systemd_cgroup if pullfix_containerd_systemd_cgroup is not none'
                      ' else (__pullfix_systemd_cgroup_default | default(none)) }}'),
    },
    {
        'name': 'pullfix_remove_stale_cri_dockerd', 'key': 'remove_stale_cri_dockerd', 'type': 'bool', 'default': True,
        'description': ['Stop and disable a cri-dockerd the runtime does not use and remove its socket, so kubeadm finds'
                        ' one CRI endpoint.'],
        'version_added': '0.4.0', 'roles': (NODE_RUNTIME,),
    },
    {
        'name': 'pullfix_runtime_packages', 'key': None, 'type': 'dict', 'defaults_in': NODE_RUNTIME,
        'default': {
            'Debian': {'containerd': ['containerd', 'runc'], 'docker': ['docker.io']},
            'Fedora': {'containerd': ['containerd'], 'docker': ['moby-engine']},
        },
        'description': [
            'The packages that provide each runtime the node_runtime role provisions (C(containerd), C(docker)), per'
            ' platform. A key is an C(ansible_distribution) (C(Fedora), C(Ubuntu)) or an C(ansible_os_family)'
            ' (C(Debian)); the distribution wins.',
            'The default knows the Debian family (Debian and Ubuntu carry C(containerd), C(runc) and C(docker.io);'
            ' tested on Debian 12 and 13) and Fedora (C(containerd), C(moby-engine), from Fedora\'s own repositories).'
            ' RHEL and its rebuilds carry neither: add their family (C(RedHat)) with the names of the repository you'
            ' use (Docker\'s: C(containerd.io), C(docker-ce)). Other platforms are refused.',
            'A version pin in the package manager\'s syntax (C(containerd=1.7.24~ds1-6)) is passed on as it is; the'
            ' role cannot match a pinned name against the installed package, so it then calls the package manager on'
            ' every run and check mode reports it as a change.'],
        'version_added': '0.5.0', 'roles': (NODE_RUNTIME,),
    },
    {
        'name': 'pullfix_cri_dockerd_url', 'key': None, 'type': 'str', 'default': None, 'defaults_in': NODE_RUNTIME,
        'description': ['URL the node downloads cri-dockerd from (docker only). Exclusive with'
                        ' O(pullfix_cri_dockerd_src).'],
        'version_added': '0.4.0', 'roles': (NODE_RUNTIME,),
    },
    {
        'name': 'pullfix_cri_dockerd_src', 'key': None, 'type': 'path', 'default': None, 'defaults_in': NODE_RUNTIME,
        'description': ['A cri-dockerd binary on the controller, copied to the node (docker only).'],
        'version_added': '0.4.0', 'roles': (NODE_RUNTIME,),
    },
    {
        'name': 'pullfix_cri_dockerd_checksum', 'key': None, 'type': 'str', 'default': None, 'defaults_in': NODE_RUNTIME,
        'description': ['C(sha256:<64 hex digits>) of the cri-dockerd binary; required with either source, checked'
                        ' before it is installed.'],
        'version_added': '0.4.0', 'roles': (NODE_RUNTIME,),
    },
    {
        'name': 'pullfix_cri_dockerd_bin', 'key': None, 'type': 'path', 'default': '/usr/local/bin/cri-dockerd',
        'defaults_in': NODE_RUNTIME,
        'description': ['Where the cri-dockerd binary is installed on the node.'],
        'version_added': '0.4.0', 'roles': (NODE_RUNTIME,),
    },
    {
        'name': 'pullfix_cri_dockerd_socket_group', 'key': None, 'type': 'str', 'default': 'docker',
        'defaults_in': NODE_RUNTIME,
        'description': ['Group that may use cri-dockerd\'s socket (mode 0660, never world access).'],
        'version_added': '0.4.0', 'roles': (NODE_RUNTIME,),
    },
    {
        'name': 'pullfix_cri_dockerd_args', 'key': None, 'type': 'list', 'elements': 'str', 'default': [],
        'defaults_in': NODE_RUNTIME,
        'description': ['More command line arguments for cri-dockerd (e.g. C(--pod-infra-container-image=...)).'],
        'version_added': '0.4.0', 'roles': (NODE_RUNTIME,),
    },
    # Play keywords and playbook arguments: read by a playbook, not by a role.
    {
        'name': 'pullfix_hosts', 'key': None, 'type': 'str', 'default': None, 'level': 'play', 'defaults_in': None,
        'description': [
            'The inventory pattern of the hosts a playbook runs on. Required by C(fix_pull.yml), which never assumes'
            ' C(all); C(diagnose.yml) and C(explain.yml) (read-only) run on C(all) without it.',
            'A play keyword: set it with C(-e) (extra vars); inventory and group_vars cannot reach it.'],
        'version_added': '0.1.0', 'roles': (),
        'defaults_note': 'a play keyword of every playbook, -e only; required by fix_pull.yml.',
    },
    {
        'name': 'pullfix_serial', 'key': None, 'type': 'raw', 'default': [1, '25%'], 'level': 'play',
        'defaults_in': None,
        'description': [
            'C(fix_pull.yml) only. Hosts per batch of the rollout - a number, a percentage, or a list of them'
            ' (V([1, "25%"]) is one canary host, then a quarter of the fleet at a time).',
            'A play keyword: set it with C(-e) (extra vars); inventory and group_vars cannot reach it.'],
        'version_added': '0.4.0', 'roles': (),
        'defaults_note': 'a play keyword of fix_pull.yml, which carries this default; -e only.',
    },
    {
        'name': 'pullfix_fail_on', 'key': None, 'type': 'str', 'default': 'responsible',
        'choices': ['responsible', 'error', 'never'],
        'description': [
            'C(fix_pull.yml) only. What fails a host after the report. V(responsible) (the default) fails a host'
            ' when a change failed or was rolled back, a plan refused, a verification pull failed, or an error that'
            ' a remediation run on it should have fixed is still open. V(error) also fails it for every other open'
            ' error (those left for a person). V(never) fails no host.'],
        'version_added': '0.5.0', 'roles': (PIPELINE,),
    },
    {
        'name': 'pullfix_max_fail_percentage', 'key': None, 'type': 'int', 'default': 0, 'level': 'play',
        'defaults_in': None,
        'description': [
            'C(fix_pull.yml) only. A batch with more failed hosts than this percentage stops the rollout; later'
            ' batches are not touched. V(0) stops after any failed host.',
            'A play keyword: set it with C(-e) (extra vars); inventory and group_vars cannot reach it.'],
        'version_added': '0.4.0', 'roles': (),
        'defaults_note': 'a play keyword of fix_pull.yml, which carries this default; -e only.',
    },
    {
        'name': 'pullfix_explain_image', 'key': None, 'type': 'raw', 'default': None, 'defaults_in': None,
        'description': ['C(explain.yml) only, required there: the image (or a list of images) whose route it shows'
                        ' (C(-e pullfix_explain_image=docker.io/library/nginx:1.27)). Replaces C(image), which still'
                        ' works with a deprecation message.'],
        'version_added': '0.5.0', 'roles': (),
        'defaults_note': 'an argument of explain.yml, required there.',
    },
    {
        'name': 'pullfix_explain_pull', 'key': None, 'type': 'bool', 'default': False, 'defaults_in': None,
        'description': ['C(explain.yml) only: also pull the image through kubelet\'s image endpoint and turn a failure'
                        ' into a finding of its class. Replaces C(pull), which still works with a deprecation message.'],
        'version_added': '0.5.0', 'roles': (),
        'defaults_note': 'an argument of explain.yml.',
    },
)

# Entries of __pullfix_settings that are no user setting: set by a role for the planners.
INTERNAL_MAP = (
    ('node_provision', '{{ __pullfix_node_provision | default(false) | bool }}'),
)

# Each role's argument spec entry points: short description and description.
ROLE_DOCS = {
    'containerd_registry': {'main': {
        'short_description': 'containerd / k3s / RKE2 registry mirrors, fallback and sandbox image.',
        'description': [
            'Renders C(pullfix_registry_mirrors) into C(certs.d/<registry>/hosts.toml) (containerd) or'
            ' C(/etc/rancher/{k3s,rke2}/registries.yaml) (k3s, RKE2), sets a single C(config_path) in C(config.toml)'
            ' with a minimal edit that keeps comments, migrates deprecated C(mirrors), re-enables a disabled CRI plugin'
            ' and sets the sandbox image.',
            'Runs the doctor first when it has not run earlier in the play.',
            'Plans on the controller and applies every file in one call of M(kubenode.pullfix.apply_changes), only'
            ' files whose bytes differ, each backed up, validated (C(containerd config dump) for C(config.toml)) and'
            ' moved into place atomically. containerd restarts only when C(config.toml) changed, through the handlers'
            ' of the internal C(kubenode.pullfix.pipeline) role, which wait for CRI and roll the files back when it'
            ' does not answer.',
            'Registers C(pullfix_remediation) (what changed, with backups) and C(pullfix_diagnosis) (with the'
            ' verification pulls of C(pullfix_verify_images) under C(verify)).'],
    }},
    'cri_shim': {'main': {
        'short_description': 'Sealos image-cri-shim ordering, configuration and kubelet endpoints.',
        'description': [
            'Writes drop-ins of its own (checked with C(systemd-analyze verify) before they take effect) that start'
            ' C(image-cri-shim.service) after the runtime\'s unit and the local registry\'s unit, with a bounded wait'
            ' for the runtime socket and the registry\'s C(/v2/), and C(kubelet.service) after the shim; systemd is'
            ' reloaded only when a unit file changed.',
            'Edits C(/etc/image-cri-shim.yaml) line by line (C(cri) = the runtime\'s socket, C(address) ='
            ' C(pullfix_local_registry)); comments, order and every other key stay as they are. The shim is restarted'
            ' only when its configuration changed.',
            'Sets kubelet\'s C(containerRuntimeEndpoint) to the runtime\'s socket and C(imageServiceEndpoint) to the'
            ' shim, in the file the running kubelet takes them from (its flags file, such as'
            ' C(/var/lib/kubelet/kubeadm-flags.env), or its config file); kubelet restarts only when that changed.',
            'Sets C(imageRepository) of a kubeadm ClusterConfiguration to C(pullfix_local_registry) and says which'
            ' images kubeadm pulls for its Kubernetes version.',
            'Files it cannot parse are reported with file and line and never rewritten.',
            'Registers C(pullfix_remediation) (what changed, with backups) and C(pullfix_diagnosis).'],
    }},
    'doctor': {
        'main': {
            'short_description': 'Gather node evidence and diagnose why the node cannot pull images.',
            'description': [
                'Runs M(kubenode.pullfix.node_evidence) on the node (one read-only call) and'
                ' M(kubenode.pullfix.diagnose) on the controller.',
                'Registers C(pullfix_evidence) (with no_log) and C(pullfix_diagnosis).',
                'The defaults of every setting live in the internal C(kubenode.pullfix.pipeline) role.'],
        },
        'report': {
            'short_description': 'Write the fleet report and print the summary (run once, after main).',
        },
    },
    'node_runtime': {'main': {
        'short_description': 'Provision a node\'s CRI runtime (containerd, or Docker Engine with cri-dockerd).',
        'description': [
            'Installs the runtime chosen in C(pullfix_runtime) from the packages named in'
            ' C(pullfix_runtime_packages) (by default the distribution\'s own: the Debian family and Fedora), enables'
            ' and starts it.',
            'Then, through the pipeline\'s planners (one call on the node, only files whose bytes differ), writes'
            ' containerd\'s C(config.toml) (C(config_path), runc\'s C(SystemdCgroup) when systemd is the init, created'
            ' when missing), C(/etc/crictl.yaml), kubelet\'s endpoints where kubelet configuration exists, and the'
            ' registry and socket settings of the containerd_registry and runtime_socket roles.',
            'cri-dockerd is installed, configured and started only when C(pullfix_runtime) is C(docker); under'
            ' containerd its tasks are skipped with a message saying why, and a cri-dockerd already on the node is'
            ' stopped and disabled and its socket removed (C(pullfix_remove_stale_cri_dockerd)), so kubeadm finds one'
            ' CRI endpoint.'],
    }},
    'pipeline': {'main': {
        'short_description': 'Shared steps of kubenode.pullfix (internal); holds every setting\'s default.',
        'description': [
            'Internal role. Its task files are imported by the playbooks and the other roles (tasks_from: gather,'
            ' remediate, report); only C(main) is specified, so those imports add no validation task per host. Each'
            ' public role validates the settings it reads; this spec documents all of them.',
            'C(tasks_from=gather) gathers evidence (one call, with the verification pulls when asked) and diagnoses.',
            'C(tasks_from=remediate) plans every remediation the host needs and applies them in one call; its handlers'
            ' (C(pullfix changed)) restart what changed, wait for the runtime, gather again, verify and roll back.',
            'C(tasks_from=report) writes the fleet report and prints the summary.'],
    }},
    'proxy_env': {'main': {
        'short_description': 'NO_PROXY for the endpoints on the image routes, in the runtime unit\'s own drop-in.',
        'description': [
            'When the runtime\'s unit (containerd, k3s, RKE2, CRI-O) sets C(HTTP_PROXY) or C(HTTPS_PROXY) and an'
            ' endpoint on the route of an image (a mirror, a local registry) is not covered by its C(NO_PROXY) under'
            ' Go\'s rules, writes C(/etc/systemd/system/<unit>.d/zz-kubenode-pullfix-no-proxy.conf) with the unit\'s'
            ' C(NO_PROXY) plus those endpoints, reloads systemd and restarts the unit. Nothing else.',
            'The routes are those of O(pullfix_verify_images) and O(pullfix_explain_images).',
            'Runs the doctor first when it has not run earlier in the play; registers C(pullfix_remediation) and'
            ' C(pullfix_diagnosis).'],
    }},
    'registries_conf': {'main': {
        'short_description': 'containers-image search order and short-name settings (CRI-O, podman).',
        'description': [
            'Computes the effective C(registries.conf) (the main file, then C(registries.conf.d/*.conf) in lexical'
            ' order, each key replaced whole by a later file, C([[registry]]) merged by prefix, aliases by name)'
            ' before and after, and says which file wins each key.',
            'Writes ONE v2 drop-in that the collection owns,'
            ' C(/etc/containers/registries.conf.d/zz-kubenode-pullfix.conf), named so that it is read after every file'
            ' that sets the same keys, CRI-O\'s packaged C(crio.conf) included (more C(z) when a later file competes).'
            ' Vendor files are never edited.',
            'The mirrors of C(pullfix_registry_mirrors) become C([[registry]]) tables with C([[registry.mirror]]);'
            ' C(insecure = true) only for an endpoint given as C(http://).',
            'A v1-format drop-in (refused by containers-image, so every pull fails) is converted to v2 in place,'
            ' keeping every setting and the old text as comments, with a backup.',
            'A v1-only main C(registries.conf) is reported, and converted only with'
            ' C(pullfix_registries_conf_convert_v1). A file mixing v1 and v2, malformed TOML or a value'
            ' containers-image refuses fails the host, naming file and line, before anything is written.',
            'With CRI-O, C(systemctl reload crio) (SIGHUP) runs only when a file changed. On CRI-O 1.34 and later the'
            ' short-name mode comes from C([crio.image] short_name_mode); when it is enforcing and more than one'
            ' search registry remains, the run says so.'],
    }},
    'runtime_socket': {'main': {
        'short_description': 'Runtime socket path, group access, SELinux label and start-up ordering of its consumers.',
        'description': [
            'Points C(/etc/crictl.yaml) at the socket the runtime really serves (containerd\'s C([grpc] address),'
            ' k3s/RKE2 C(/run/k3s/containerd/containerd.sock), ...), with a minimal edit that keeps comments.',
            'For each unit in C(pullfix_socket_consumers), writes a drop-in'
            ' C(/etc/systemd/system/<unit>.d/50-pullfix-runtime-socket.conf) with C(After=)/C(Wants=) on the runtime\'s'
            ' unit and an C(ExecStartPre=) that waits at most 60 s for the socket; each drop-in is validated with'
            ' C(systemd-analyze verify) before it replaces anything, then systemd is reloaded and the unit restarted.',
            'With C(pullfix_socket_compat_link), writes C(/etc/tmpfiles.d/pullfix-runtime-socket.conf), which links'
            ' C(/run/containerd/containerd.sock) to the real socket now and at every boot (C(/run) is a tmpfs).',
            'With C(pullfix_socket_group), sets containerd\'s C([grpc] gid) (validated with C(containerd config dump),'
            ' containerd restarted) and the socket\'s group now; the socket is 0660, never world-accessible. A'
            ' world-accessible socket is set back to 0660 and reported as a security finding.',
            'Only when SELinux is enabled and the socket\'s type is not C(container_var_run_t), adds a file-context'
            ' rule for the socket\'s directory and relabels that directory and the socket only.',
            'Pods that use the socket (Spegel) are named in the notes with the values they need (C(containerdSock),'
            ' C(containerdRegistryConfigPath), C(seLinuxOptions.type=spc_t)).',
            'Runs the doctor first when it has not run earlier in the play; registers C(pullfix_remediation) and'
            ' C(pullfix_diagnosis).'],
    }},
}
# Entry points that take the options of another entry point of the same role.
SAME_OPTIONS = {('doctor', 'report'): 'main'}


def setting(name):
    """The schema entry of ``pullfix_<name>`` (or of ``name`` when it carries the prefix)."""
    full = name if name.startswith('pullfix_') else 'pullfix_' + name
    for item in SETTINGS:
        if item['name'] == full:
            return item
    raise KeyError(full)


def defaults_in(item):
    """The role whose defaults/main.yml holds the setting's default (None: no role file)."""
    return item.get('defaults_in', PIPELINE)


def spec_roles(item):
    """Every role whose argument spec lists the setting: its readers, and the pipeline for every
    setting but the node_runtime role's own."""
    roles = list(item.get('roles') or ())
    if defaults_in(item) != NODE_RUNTIME:
        roles.append(PIPELINE)
    return roles


def controller_defaults():
    """{key: default} of every setting the controller reads (``__pullfix_settings`` without a value)."""
    out = {}
    for item in SETTINGS:
        if item.get('key'):
            value = item.get('default')
            out[item['key']] = type(value)(value) if isinstance(value, (list, dict)) else value
    return out


def trigger_keys(role):
    """The ``__pullfix_settings`` keys that ask for a remediation role when set."""
    return tuple(item['key'] for item in SETTINGS if item.get('asks_for') == role)


def remediation_role_names():
    return tuple(role['name'] for role in REMEDIATION_ROLES)
