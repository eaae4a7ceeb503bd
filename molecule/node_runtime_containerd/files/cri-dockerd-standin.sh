#!/bin/sh
# STAND-IN for cri-dockerd (test fixture of the node_runtime_containerd Molecule scenario).
# The real cri-dockerd cannot be downloaded here. What the scenario needs is what an installer
# that ignored the runtime choice leaves behind: an enabled cri-docker.service and a
# cri-docker.socket listening on /run/cri-dockerd.sock. This stand-in only keeps the service
# running; it serves nothing on the socket that systemd holds for it.
exec sleep infinity
