#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
---
module: cri_pull
short_description: Query a CRI image endpoint and pull images through it, as kubelet does
version_added: 0.1.0
description:
  - Talks gRPC to a Container Runtime Interface (CRI) endpoint such as containerd or CRI-O over its unix socket,
    the same way kubelet does, without needing C(crictl) on the node.
  - With O(action=version) it asks the runtime service for its name and version.
  - With O(action=status) it reports whether each image in O(images) is present in the runtime's image store.
  - With O(action=pull) it checks each image and then pulls it with C(PullImage), which is the pull kubelet
    would make. This proves end to end that the node can pull, or returns the runtime's own error.
  - Failures are classified by RV(results[].error_kind), for example a missing or stale socket, a runtime that does
    not implement the image service, or a registry error reported by the runtime.
author:
  - kubenode.pullfix maintainers (@kubenode)
options:
  endpoint:
    description:
      - The CRI endpoint, normally kubelet's C(--image-service-endpoint) (or C(--container-runtime-endpoint) when that
        is not set).
      - Accepts C(unix:///path), C(unix:/path) or an absolute socket path. Only unix sockets are supported.
    type: str
    default: unix:///run/containerd/containerd.sock
  action:
    description:
      - V(version) calls C(RuntimeService/Version) and returns RV(version).
      - V(status) calls C(ImageService/ImageStatus) for each image in O(images).
      - V(pull) calls C(ImageStatus) and then C(PullImage) for each image in O(images).
    type: str
    choices: [version, status, pull]
    default: pull
  images:
    description:
      - Image references to check or pull, for example V(registry.k8s.io/pause:3.9).
    type: list
    elements: str
    default: []
  auth:
    description:
      - Registry credentials sent with each C(PullImage) request, in the CRI C(AuthConfig) form that kubelet builds
        from image pull secrets.
      - Without it the runtime uses its own registry configuration.
      - O(auth.password), O(auth.auth), O(auth.identity_token) and O(auth.registry_token) are never logged nor
        shown in the results or errors.
    type: dict
    suboptions:
      username:
        description: Registry user name.
        type: str
      password:
        description: Registry password.
        type: str
      auth:
        description: Base64 of V(username:password), as found in a docker config file.
        type: str
      server_address:
        description: Registry host the credentials belong to.
        type: str
      identity_token:
        description: Token used to obtain a registry access token.
        type: str
      registry_token:
        description: Bearer token sent to the registry as is.
        type: str
  timeout:
    description:
      - Seconds allowed for each call, connection included. For O(action=pull) it applies to each image separately
        and must cover the download.
    type: float
    default: 60
  fail_on_error:
    description:
      - When V(true), the task fails if any call fails.
      - When V(false), failures are only reported in RV(results) (or RV(error) for O(action=version)), so a diagnosis
        can go on.
    type: bool
    default: true
extends_documentation_fragment:
  - kubenode.pullfix.attributes
  - kubenode.pullfix.attributes.platform
attributes:
  check_mode:
    details: In check mode images are only looked up, never pulled; C(changed) tells whether a pull would add one.
    support: full
  diff_mode:
    details: No diff is produced.
    support: none
notes:
  - Pulling an image that is already present still contacts the registry (as kubelet's C(Always) pull policy does) but
    reports no change.
  - Uses only the Python standard library on the managed node.
seealso:
  - name: Kubernetes CRI API
    description: The gRPC API this module speaks.
    link: https://github.com/kubernetes/cri-api
"""

EXAMPLES = r"""
- name: Ask the runtime who it is
  kubenode.pullfix.cri_pull:
    action: version
  register: cri

- name: Pull the sandbox image through kubelet's image endpoint
  kubenode.pullfix.cri_pull:
    endpoint: unix:///run/containerd/containerd.sock
    images:
      - registry.k8s.io/pause:3.9

- name: Pull a private image with the credentials of an image pull secret
  kubenode.pullfix.cri_pull:
    endpoint: unix:///var/run/crio/crio.sock
    images:
      - registry.example.com/team/app:1.4.2
    auth:
      username: robot
      password: "{{ registry_password }}"
      server_address: registry.example.com
    timeout: 300

- name: Collect pull failures without failing, for a diagnosis
  kubenode.pullfix.cri_pull:
    images: "{{ failing_images }}"
    fail_on_error: false
  register: pulls

- name: Show the images that could not be pulled and why
  ansible.builtin.debug:
    msg: "{{ item.image }}: {{ item.error_kind }}: {{ item.error }}"
  loop: "{{ pulls.results | rejectattr('ok') }}"
"""

RETURN = r"""
endpoint:
  description: The endpoint that was used.
  returned: always
  type: str
  sample: unix:///run/containerd/containerd.sock
version:
  description: The runtime's answer to C(Version).
  returned: when O(action=version) and the call succeeded
  type: dict
  contains:
    version:
      description: Version of the kubelet runtime API the runtime reports.
      type: str
      sample: 0.1.0
    runtime_name:
      description: Name of the container runtime.
      type: str
      sample: containerd
    runtime_version:
      description: Version of the container runtime.
      type: str
      sample: 1.6.20
    runtime_api_version:
      description: CRI API version the runtime serves.
      type: str
      sample: v1
error:
  description: Why C(Version) failed.
  returned: when O(action=version), the call failed and O(fail_on_error=false)
  type: str
  sample: >-
    CRI endpoint unix:///run/containerd/containerd.sock (runtime.v1.RuntimeService/Version):
    missing: socket /run/containerd/containerd.sock does not exist
error_kind:
  description: Class of the C(Version) failure, as in RV(results[].error_kind).
  returned: when O(action=version), the call failed and O(fail_on_error=false)
  type: str
  sample: missing
grpc_status:
  description: gRPC status code of the C(Version) failure, if the runtime sent one.
  returned: when O(action=version), the call failed and O(fail_on_error=false)
  type: int
  sample: 12
results:
  description: One entry per image, in the order of O(images).
  returned: when O(action) is V(status) or V(pull)
  type: list
  elements: dict
  contains:
    image:
      description: The image as given.
      type: str
      sample: registry.k8s.io/pause:3.9
    ok:
      description: Whether every call for this image succeeded.
      type: bool
      sample: true
    present_before:
      description: Whether the image was in the runtime's image store before any pull; V(null) if that could not be
        determined.
      type: bool
      sample: false
    pulled:
      description: Whether C(PullImage) succeeded for this image. Always V(false) in check mode and for O(action=status).
      type: bool
      sample: true
    image_ref:
      description: Image ID the runtime returned from C(PullImage), or the ID of the present image for
        O(action=status) and in check mode.
      type: str
      sample: sha256:e6f1816883972d4be47bd48879a08919b96afcd344132622e4d444987919323c
    repo_tags:
      description: Tags of the image as known to the runtime, when it is present (O(action=status) and check mode).
      type: list
      elements: str
      sample: [registry.k8s.io/pause:3.9]
    repo_digests:
      description: Repository digests of the image, when it is present (O(action=status) and check mode).
      type: list
      elements: str
      sample: [registry.k8s.io/pause@sha256:7031c1b283388d2c2e09b57badb803c05ebed362dc88d84b480cc47f72a21097]
    size:
      description: Size of the image in bytes as reported by the runtime, when it is present (O(action=status) and
        check mode).
      type: int
      sample: 321520
    error:
      description: The failure as one line naming the endpoint and the call, or V(null).
      type: str
      sample: 'CRI endpoint unix:///run/containerd/containerd.sock (runtime.v1.ImageService/PullImage): failed to pull and
        unpack image "registry.example.com/app:1": failed to resolve reference "registry.example.com/app:1":
        unexpected status from HEAD request: 401 Unauthorized [grpc-status 2 UNKNOWN]'
    error_kind:
      description:
        - Class of the failure, or V(null).
        - V(missing) the socket does not exist; V(not_socket) the path is a file or a directory;
          V(refused) nobody listens on the socket (stale socket); V(permission_denied) no access to the socket;
          V(timeout) no answer in time; V(unimplemented) the endpoint does not serve that CRI call (gRPC status 12);
          V(grpc) the runtime answered with another gRPC error, for example a failed pull;
          V(protocol) the peer does not speak HTTP/2 gRPC.
      type: str
      sample: grpc
    grpc_status:
      description: gRPC status code of the failure when the runtime sent one, else V(null).
      type: int
      sample: 2
    elapsed_ms:
      description: Milliseconds spent on this image.
      type: int
      sample: 1432
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubenode.pullfix.plugins.module_utils._cri import (
    CriError,
    check_image,
    parse_endpoint,
    version,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            endpoint=dict(type="str", default="unix:///run/containerd/containerd.sock"),
            action=dict(type="str", choices=["version", "status", "pull"], default="pull"),
            images=dict(type="list", elements="str", default=[]),
            auth=dict(
                type="dict",
                # Only the secrets: no_log on the whole dict would also mask
                # the registry host inside every image name in the results.
                no_log=False,
                options=dict(
                    username=dict(type="str", no_log=False),
                    password=dict(type="str", no_log=True),
                    auth=dict(type="str", no_log=True),
                    server_address=dict(type="str", no_log=False),
                    identity_token=dict(type="str", no_log=True),
                    registry_token=dict(type="str", no_log=True),
                ),
            ),
            timeout=dict(type="float", default=60),
            fail_on_error=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    endpoint = module.params["endpoint"]
    action = module.params["action"]
    timeout = module.params["timeout"]
    fail_on_error = module.params["fail_on_error"]
    auth = module.params["auth"]  # unset suboptions are None and stay off the wire

    if timeout <= 0:
        module.fail_json(msg="timeout must be greater than 0, got %s" % timeout, endpoint=endpoint)

    # Validate the endpoint once rather than failing identically per image.
    try:
        parse_endpoint(endpoint)
    except ValueError as exc:
        module.fail_json(msg=str(exc), endpoint=endpoint)

    if action == "version":
        try:
            info = version(endpoint, timeout=timeout)
        except CriError as exc:
            if fail_on_error:
                module.fail_json(msg=str(exc), endpoint=endpoint, error_kind=exc.kind, grpc_status=exc.grpc_status)
            module.exit_json(changed=False, endpoint=endpoint, error=str(exc), error_kind=exc.kind,
                             grpc_status=exc.grpc_status)
        module.exit_json(changed=False, endpoint=endpoint, version=info)

    results = []
    changed = False
    for image in module.params["images"]:
        entry, image_changed = check_image(endpoint, image, pull=action == "pull", auth=auth, timeout=timeout,
                                           check_mode=module.check_mode)
        results.append(entry)
        changed = changed or image_changed

    failed = [entry for entry in results if not entry["ok"]]
    if failed and fail_on_error:
        verb = "pulling" if action == "pull" else "checking"
        msg = "; ".join("%s image %s failed: %s" % (verb, entry["image"], entry["error"]) for entry in failed)
        module.fail_json(msg=msg, changed=changed, endpoint=endpoint, results=results)
    module.exit_json(changed=changed, endpoint=endpoint, results=results)


if __name__ == "__main__":
    main()
