# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Apply a plan of file changes on the node: all or nothing up to the moment of writing.

Private to this collection; standard library only. Two phases:

1. stage: for every change, check it still applies (the file is the one the plan was made
   from), write the new bytes to a temporary file next to the target (owner, mode and SELinux
   label set before anything else can see it), and run its validator on that file. Any failure
   removes every temporary file: nothing on the node has changed.
2. commit: back up each target, then rename the temporary file over it (atomic on POSIX), so a
   file is always whole: old or new, never half written. A symlink is written through: the link
   stays, its target changes.

``restore`` undoes a commit from the backups it named.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import hashlib
import os
import re
import shutil
import stat
import subprocess
import tempfile
import time

from ansible_collections.kubenode.pullfix.plugins.module_utils._restart_record import PENDING_RESTART

ACTIONS = ("create", "update", "remove")
_MODE_RE = re.compile(r"^0?[0-7]{3,4}$")
TEMP_MARK = ".pullfix-"
SELINUX_XATTR = "security.selinux"
VALIDATE_TIMEOUT = 60
MAX_ERROR_TEXT = 600


class ChangeError(Exception):
    """A change that cannot be applied; the message names the path."""


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def _read(path):
    with open(path, "rb") as handle:
        return handle.read()


def _resolve(path):
    """(real path, link path or None). Raises ChangeError for what must not be written through."""
    try:
        st = os.lstat(path)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return path, None
        raise ChangeError("%s: %s" % (path, exc.strerror))
    if not stat.S_ISLNK(st.st_mode):
        return path, None
    real = os.path.realpath(path)
    if os.path.islink(real):
        raise ChangeError("%s: symbolic link loop" % path)
    return real, path


def _current(real, path):
    """Bytes of the file now (None when absent). Raises ChangeError for non-regular files."""
    try:
        st = os.stat(real)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None, None
        raise ChangeError("%s: %s" % (path, exc.strerror))
    if not stat.S_ISREG(st.st_mode):
        kind = "directory" if stat.S_ISDIR(st.st_mode) else "FIFO" if stat.S_ISFIFO(st.st_mode) else "special file"
        raise ChangeError("%s: is a %s, not a regular file; not replaced" % (path, kind))
    try:
        return _read(real), st
    except (IOError, OSError) as exc:
        raise ChangeError("%s: cannot be read (%s)" % (path, exc.strerror))


def _selinux_label(path):
    try:
        return os.getxattr(path, SELINUX_XATTR)
    except (OSError, AttributeError):
        return None


def _set_selinux_label(path, label):
    if label is None:
        return
    try:
        os.setxattr(path, SELINUX_XATTR, label)
    except (OSError, AttributeError):
        pass


def read_pending(path=PENDING_RESTART):
    """The restart keys a stopped earlier run left owing; [] when none (or unreadable)."""
    try:
        with open(path, "rb") as handle:
            return parse_pending(handle.read(65536).decode("utf-8", "replace"))
    except (IOError, OSError):
        return []


def parse_pending(text):
    """Restart keys of a PENDING_RESTART record (one per line); anything else in it is ignored."""
    return sorted(set(k for k in (line.strip() for line in (text or "").splitlines()) if re.match(r"^[A-Za-z0-9@_.:-]+$", k)))


def write_pending(keys, path=PENDING_RESTART):
    """Record the restart keys owed (one per line, 0600, atomically); an empty list removes the record."""
    if not keys:
        clear_pending(path)
        return
    parent = os.path.dirname(path)
    if not os.path.isdir(parent):
        os.makedirs(parent, 0o700)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + TEMP_MARK, dir=parent)
    try:
        _write_all(fd, ("\n".join(sorted(set(keys))) + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)
    os.rename(tmp, path)
    _fsync_dir(parent)


def clear_pending(path=PENDING_RESTART):
    _unlink(path)


def restart_keys(restart):
    """A change's restart keys as a list: one key (str) or several (a drop-in needs a daemon-reload
    and its unit's restart)."""
    if not restart:
        return []
    return [restart] if isinstance(restart, str) else [k for k in restart if k]


def check_change(change):
    """Raise ChangeError unless a change record is well formed."""
    path = change.get("path")
    if not isinstance(path, str) or not path.startswith("/") or os.path.normpath(path) != path or path == "/":
        raise ChangeError("%r: not a normalised absolute path" % (path,))
    if change.get("action") not in ACTIONS:
        raise ChangeError("%s: action %r (expected one of %s)" % (path, change.get("action"), ", ".join(ACTIONS)))
    if change["action"] != "remove" and not isinstance(change.get("content"), str):
        raise ChangeError("%s: no content to write" % path)
    mode = change.get("mode")
    if mode is not None and not (isinstance(mode, str) and _MODE_RE.match(mode)):
        raise ChangeError("%s: mode %r (expected an octal string such as 0644)" % (path, mode))
    restart = change.get("restart")
    if restart is not None and not isinstance(restart, str) and not (
            isinstance(restart, list) and all(isinstance(k, str) for k in restart)):
        raise ChangeError("%s: restart must be a service key or a list of them" % path)
    validate = change.get("validate")
    if validate is not None and (not isinstance(validate, list) or "%s" not in validate
                                 or not all(isinstance(a, str) for a in validate)):
        raise ChangeError("%s: validate must be an argv list containing %%s" % path)


class Staged(object):
    """One change on its way: where it goes, what it replaces, and its temporary file."""

    def __init__(self, change):
        self.change = change
        self.path = change["path"]
        self.real, self.link = _resolve(self.path)
        self.before, self.st = _current(self.real, self.path)
        self.after = change["content"].encode("utf-8") if change["action"] != "remove" else None
        self.tmp = None
        self.created_dirs = []
        self.backup = None
        self.mode = None

    @property
    def action(self):
        if self.after is None:
            return "removed" if self.before is not None else "unchanged"
        if self.before is None:
            return "created"
        if self.before != self.after or (self.st is not None and self.mode is not None
                                         and stat.S_IMODE(self.st.st_mode) != self.mode):
            return "updated"
        return "unchanged"

    def check_expected(self):
        """The file must still be what the plan was made from."""
        expect = self.change.get("expect")
        if self.before is None:
            if self.change["action"] == "update":
                raise ChangeError("%s: disappeared since it was gathered; not recreated" % self.path)
            return
        if expect is None:
            if self.before != self.after:
                raise ChangeError("%s: appeared since it was gathered; not replaced" % self.path)
            return
        if sha256(self.before) != expect:
            raise ChangeError("%s: changed since it was gathered; not replaced (run again)" % self.path)

    def wanted_mode(self):
        mode = self.change.get("mode")
        if mode is not None:
            return int(mode, 8)
        if self.st is not None:
            return stat.S_IMODE(self.st.st_mode)
        return 0o644

    def stage(self, check_mode, runner):
        self.mode = self.wanted_mode()
        if self.after is None or self.action == "unchanged":
            return
        parent = os.path.dirname(self.real)
        parent_exists = os.path.isdir(parent)
        if not parent_exists and os.path.lexists(parent):
            raise ChangeError("%s: %s is not a directory" % (self.path, parent))
        if check_mode and (not self.change.get("validate") or not parent_exists):
            return
        if not parent_exists:
            self.created_dirs = _makedirs(parent)
        _remove_stale_temps(self.real)
        fd, self.tmp = tempfile.mkstemp(prefix="." + os.path.basename(self.real) + TEMP_MARK, dir=parent)
        try:
            os.fchmod(fd, self.mode)
            if self.st is not None:
                os.fchown(fd, self.st.st_uid, self.st.st_gid)
            _write_all(fd, self.after)
            os.fsync(fd)
        finally:
            os.close(fd)
        _set_selinux_label(self.tmp, _selinux_label(self.real) if self.st is not None else None)
        validate = self.change.get("validate")
        if validate:
            argv = [self.tmp if a == "%s" else a.replace("%s", self.tmp) for a in validate]
            rc, out = runner(argv)
            if rc != 0:
                text = out.strip().replace(self.tmp, self.path + " (candidate)")
                if len(text) > MAX_ERROR_TEXT:
                    text = text[:MAX_ERROR_TEXT] + "..."
                raise ChangeError("%s: the new content fails validation (%s exited %s): %s" % (
                    self.path, validate[0], rc, text or "no output"))

    def backup_path(self, stamp):
        """Next to the file; for a file whose emptied directory is removed, beside that directory,
        hidden, so that no backup keeps a directory alive (a certs.d directory wins lookups)."""
        if self.after is None and self.change.get("remove_empty_parent"):
            parent = os.path.dirname(self.real)
            return os.path.join(os.path.dirname(parent), ".%s.%s.%s.pullfix~" % (
                os.path.basename(parent), os.path.basename(self.real), stamp))
        return "%s.%s.pullfix~" % (self.real, stamp)

    def discard(self):
        if self.tmp:
            _unlink(self.tmp)
            self.tmp = None
        for directory in reversed(self.created_dirs):
            try:
                os.rmdir(directory)
            except OSError:
                pass

    def commit(self, stamp):
        if self.action == "unchanged":
            self.discard()
            return
        if self.before is not None:
            self.backup = self.backup_path(stamp)
            shutil.copy2(self.real, self.backup)
            # A backup may hold the credentials the new file moved elsewhere: owner only.
            os.chmod(self.backup, 0o600)
        if self.after is None:
            os.unlink(self.real)
            if self.change.get("remove_empty_parent"):
                try:
                    os.rmdir(os.path.dirname(self.real))
                except OSError:
                    pass
        else:
            os.rename(self.tmp, self.real)
            self.tmp = None
        _fsync_dir(os.path.dirname(self.real))

    def report(self, diff):
        out = {"path": self.path, "action": self.action, "backup": self.backup,
               "mode_before": "%04o" % stat.S_IMODE(self.st.st_mode) if self.st is not None else None,
               "restart": self.change.get("restart"), "role": self.change.get("role"),
               "reason": self.change.get("reason")}
        if self.link:
            out["target"] = self.real
        if diff and self.action != "unchanged":
            if self.change.get("secret"):
                hidden = "(holds credentials: not shown)\n"
                before = hidden if self.before is not None else ""
                after = hidden if self.after is not None else ""
            else:
                before = (self.before or b"").decode("utf-8", "replace")
                after = (self.after or b"").decode("utf-8", "replace")
            out["diff"] = {"before": before, "after": after, "before_header": self.path,
                           "after_header": self.path}
        return out


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _makedirs(path):
    """Create missing directories (0755); returns those created, outermost first."""
    missing = []
    while path and not os.path.isdir(path):
        if os.path.lexists(path):
            raise ChangeError("%s: exists and is not a directory" % path)
        missing.append(path)
        path = os.path.dirname(path)
    created = []
    for directory in reversed(missing):
        os.mkdir(directory, 0o755)
        created.append(directory)
    return created


def _remove_stale_temps(real):
    """Temporary files an interrupted earlier run left next to this target."""
    parent = os.path.dirname(real)
    prefix = "." + os.path.basename(real) + TEMP_MARK
    try:
        names = os.listdir(parent)
    except OSError:
        return
    for name in names:
        if name.startswith(prefix):
            _unlink(os.path.join(parent, name))


def _unlink(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def _fsync_dir(path):
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def run_argv(argv):
    """Run a validator without a shell; (rc, combined output)."""
    try:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    except OSError as exc:
        return 127, "cannot run %s: %s" % (argv[0], exc.strerror)
    try:
        out, _err = proc.communicate(timeout=VALIDATE_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return 124, "timed out after %d s" % VALIDATE_TIMEOUT
    return proc.returncode, out.decode("utf-8", "replace")


def apply_changes(changes, check_mode=False, diff=False, runner=run_argv, pending=None):
    """Apply a plan. Returns {changed, changes, restart, errors}; on any error nothing is written.

    ``pending``: where to record the restarts the written files owe before the first rename
    (the module passes PENDING_RESTART; None records nothing)."""
    errors = []
    staged = []
    seen = set()
    for change in changes:
        try:
            check_change(change)
            if change["path"] in seen:
                raise ChangeError("%s: planned twice" % change["path"])
            seen.add(change["path"])
            item = Staged(change)
            item.check_expected()
            staged.append(item)
        except ChangeError as exc:
            errors.append(str(exc))
    if not errors:
        for item in staged:
            try:
                item.stage(check_mode, runner)
            except ChangeError as exc:
                errors.append(str(exc))
            except (IOError, OSError) as exc:
                errors.append("%s: %s" % (item.path, exc.strerror or exc))
    if errors or check_mode:
        for item in staged:
            item.discard()
        reports = [] if errors else [item.report(diff) for item in staged]
        return _result(reports, errors)
    owed = set(key for item in staged if item.action != "unchanged" for key in restart_keys(item.change.get("restart")))
    if owed and pending:
        try:
            write_pending(owed | set(read_pending(pending)), pending)
        except (IOError, OSError) as exc:
            for item in staged:
                item.discard()
            return _result([], ["%s: %s; nothing was written" % (pending, exc.strerror or exc)])
    stamp = time.strftime("%Y%m%dT%H%M%S") + "-%d" % os.getpid()
    reports = []
    for index, item in enumerate(staged):
        try:
            item.commit(stamp)
        except (IOError, OSError) as exc:
            # Later files stay as they were; earlier ones are committed and reported with their backups.
            for rest in staged[index:]:
                rest.discard()
            errors.append("%s: %s; the files listed as changed were written, the rest were not" % (
                item.path, exc.strerror or exc))
            break
        reports.append(item.report(diff))
    return _result(reports, errors)


def _result(reports, errors):
    done = [r for r in reports if r["action"] != "unchanged"]
    restart = sorted(set(key for r in done for key in restart_keys(r.get("restart"))))
    return {"changed": bool(done), "changes": done, "restart": restart, "errors": errors}


def restore(entries):
    """Put files back from backups: [{path, backup, mode_before}] (backup null: the file did not exist:
    remove it). Backups are 0600; the file gets its mode from before back."""
    restored = []
    errors = []
    for entry in entries:
        path = entry.get("path")
        backup = entry.get("backup")
        try:
            real, _link = _resolve(path)
            if backup:
                data = _read(backup)
                st = os.stat(backup)
                fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(real) + TEMP_MARK, dir=os.path.dirname(real))
                try:
                    mode = entry.get("mode_before")
                    os.fchmod(fd, int(mode, 8) if mode else stat.S_IMODE(st.st_mode))
                    os.fchown(fd, st.st_uid, st.st_gid)
                    _write_all(fd, data)
                    os.fsync(fd)
                finally:
                    os.close(fd)
                _set_selinux_label(tmp, _selinux_label(backup))
                os.rename(tmp, real)
            elif os.path.lexists(real):
                os.unlink(real)
            restored.append(path)
        except (IOError, OSError, ChangeError) as exc:
            errors.append("%s: %s" % (path, getattr(exc, "strerror", None) or exc))
    return {"changed": bool(restored), "restored": restored, "errors": errors}
