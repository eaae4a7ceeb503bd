"""Fixtures every scenario's testinfra tests share (pytest loads this for molecule/*/tests/)."""
import json
import os

import pytest


class Witness:
    """What a unit (a registry) logged after this point: a journal cursor, not wall time."""

    def __init__(self, host, unit):
        self.host, self.unit = host, unit
        out = host.check_output("journalctl -u %s -n 0 --show-cursor --no-pager" % unit)
        self.cursor = out.strip().rsplit("cursor: ", 1)[-1]

    def saw(self, path):
        log = self.host.check_output("journalctl -u %s --after-cursor '%s' --no-pager -o cat" % (self.unit, self.cursor))
        return path in log


@pytest.fixture(scope="module")
def witness(host):
    """witness(unit) starts watching what that unit logs from now on; .saw(text) asks."""
    return lambda unit: Witness(host, unit)


@pytest.fixture
def recorded(host):
    """recorded(run): what shared/tasks/record_changes.yml kept of this host's run "check",
    "real" (the first real run) or "second" (the idempotence run)."""
    def load(run):
        path = os.path.join(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"], "changes",
                            "%s-%s.json" % (host.backend.get_hostname(), run))
        with open(path) as f:
            return json.load(f)
    return load


@pytest.fixture
def check_predicted(recorded):
    """The check run predicted exactly what the first real run changed: the same files with the
    same actions, and the same commands. Returns (check, real) for the scenario's own asserts."""
    check, real = recorded("check"), recorded("real")
    made = sorted((c["path"], c["action"]) for c in real["changes"])
    assert made or real["commands"], "every node started broken, so the first run must change something"
    assert sorted((c["path"], c["action"]) for c in check["changes"]) == made
    assert [c["argv"] for c in check["commands"]] == [c["argv"] for c in real["commands"]]
    return check, real
