"""The sandbox a grading kernel runs in: it reaches nothing but itself.

The kernel process is forked from its grading process and enters the sandbox before any code of
the submission runs (enter()). With Linux namespaces, unprivileged or as root, it gets:

  files      a root of its own: the system's programs and libraries, the Python it runs and the
             course package, all read-only; a small writable /tmp (a tmpfs, `scratch` bytes) that
             is its working folder. The checkout, the hidden tests, the gradebook, other
             submissions, home folders and the grader's files are not there at all.
  processes  a PID namespace: it sees and can signal only its own processes; when the grader stops
             it, everything it started goes too. At most `processes` tasks (threads count).
  network    a network namespace with only its own loopback, unless `network`.
  memory     an address-space limit of `memory` bytes beyond what grading itself maps.
  privilege  no capability left, and no way to gain one (no_new_privs); as root, it also runs as a
             user id of its own, so it owns no file of the machine.

Where the kernel refuses namespaces, problem() says why before a batch starts; `rnncourse grade`
stops there unless the TA asked for --unsafe, and Gradescope's container (where the grader runs
as root) falls back to mode "uid": a user id of its own and the limits, without namespaces.
"""

import ctypes
import errno
import os
import platform
import re
import resource
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from . import linux

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 0x1, 0x2, 0x4, 0x8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 0x20, 0x1000, 0x4000, 0x40000
ST_FLAGS = {os.ST_NOSUID: MS_NOSUID, os.ST_NODEV: MS_NODEV, os.ST_NOEXEC: MS_NOEXEC}
MNT_DETACH = 2
PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217}   # syscall numbers
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
DEVICES = ("null", "zero", "full", "random", "urandom")
KERNEL_UID_BASE = 1_000_000_000          # as root, a kernel runs as this plus its grading process's pid

GiB = 2**30
UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


class SandboxError(OSError):
    """The machine does not let a kernel into its sandbox; the message says which step failed."""


@dataclass(frozen=True)
class Sandbox:
    """What a grading kernel may use. mode "namespaces" (the default), "uid" (a user id of its own
    and the limits only: root without namespaces, e.g. in Gradescope's container) or "none" (no
    sandbox at all: --unsafe)."""

    mode: str = "namespaces"
    memory: int | None = 4 * GiB         # bytes of address space beyond what grading maps; None: no limit
    memory_label: str = "4G"             # as the TA wrote it, for messages
    processes: int = 256                 # tasks (processes and threads) at once
    scratch: int = 1 * GiB               # bytes of its writable /tmp
    network: bool = False
    readable: tuple = ()                 # folders it may read besides the system's (Python, the package)

    def enter(self):
        """Enter the sandbox, in the forked kernel process before any submission code runs.

        With namespaces this process stays outside as the kernel's guard (it waits, and stops the
        kernel if it is stopped itself) and the function returns in its child, the first process
        of the new PID namespace. Raises SandboxError if the machine refuses a step.
        """
        if self.mode == "none":
            self._limits()
            return
        kernel_uid = KERNEL_UID_BASE + os.getpid()      # unique while this process lives
        if self.mode == "namespaces":
            uid, gid = os.geteuid(), os.getegid()        # read before: a new user namespace hides them
            _unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS
                     | (0 if self.network else CLONE_NEWNET) | (CLONE_NEWUSER if uid else 0))
            if uid:
                _map_ids(uid, gid)
            guard(os.fork())
            self._new_root(kernel_uid)
            if not self.network:
                _loopback_up()
        self._limits()
        self._drop_privileges(kernel_uid)

    def _new_root(self, kernel_uid):
        """A root of tmpfs with read-only binds of what the kernel may read; /proc, /dev, /tmp."""
        _mount(None, "/", None, MS_REC | MS_PRIVATE)
        # Handles on what the kernel may read, opened before the tmpfs below covers /tmp: a checkout
        # or a virtual environment under /tmp is bound through its handle.
        readable = [(Path(path), _handle(Path(path))) for path in sorted(set(SYSTEM_PATHS) | set(self.readable))]
        # The new root is built in a tmpfs over this namespace's /tmp, so nothing is left on disk.
        _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=700,size=1m")
        root = Path("/tmp/root")
        root.mkdir()
        _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=16m")
        # Its own /tmp first, so that what is bound under /tmp lands inside it rather than under it.
        owner = f",uid={kernel_uid},gid={kernel_uid}" if os.geteuid() == 0 else ""
        (root / "tmp").mkdir()
        _mount("tmpfs", root / "tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"mode=1777,size={self.scratch}{owner}")
        for path, handle in readable:
            _bind_read_only(path, handle, root)
        (root / "proc").mkdir()
        _mount("proc", root / "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        dev = root / "dev"
        dev.mkdir()
        _mount("tmpfs", dev, "tmpfs", MS_NOSUID, "mode=755,size=64k")
        for name in DEVICES:
            (dev / name).touch()
            _mount(f"/dev/{name}", dev / name, None, MS_BIND)
        (dev / "shm").mkdir()
        _mount("tmpfs", dev / "shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=64m")
        for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                             ("stderr", "/proc/self/fd/2")):
            (dev / name).symlink_to(target)
        os.chdir(root)
        _pivot_root()
        _mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)

    def _limits(self):
        if self.memory:
            ceiling = mapped_bytes() + self.memory
            resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
        if self.mode != "none":
            resource.setrlimit(resource.RLIMIT_NPROC, (self.processes, self.processes))
            resource.setrlimit(resource.RLIMIT_FSIZE, (self.scratch, self.scratch))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    def _drop_privileges(self, kernel_uid):
        if os.geteuid() == 0:           # a user id no file and no other process has
            os.setgroups([])
            os.setresgid(kernel_uid, kernel_uid, kernel_uid)
            os.setresuid(kernel_uid, kernel_uid, kernel_uid)
        else:
            _drop_capabilities()
        linux.prctl(linux.PR_SET_NO_NEW_PRIVS, 1)


def guard(child):
    """In the parent after the kernel's fork: wait for the kernel and exit with it; stop it if this
    process is told to stop (its grading process died). Returns only in the child."""
    if child == 0:
        linux.die_with_parent()
        return
    def stop(signum, frame):
        os.kill(child, signal.SIGKILL)
        os._exit(1)
    signal.signal(signal.SIGTERM, stop)
    if linux.ON_LINUX:
        linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGTERM)
    _, status = os.waitpid(child, 0)
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def readable_paths():
    """The folders a kernel reads besides the system's: this Python (its prefixes, which hold its
    libraries and site-packages) and the course package's own folder, not the checkout around it."""
    package = Path(__file__).resolve().parents[2]          # rnncourse/, from rnncourse/course/grading/
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, package}
    return tuple(sorted({str(Path(p).resolve()) for p in paths if Path(p).is_dir()}))


def problem(sandbox):
    """Why `sandbox` cannot be entered on this machine (a sentence), or None. Tried in a forked
    child, so this process stays as it is."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            sandbox.enter()
            message = b""
        except OSError as e:
            message = str(e).encode()
        os.write(write, message)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as f:
        message = f.read().decode()
    os.waitpid(pid, 0)
    return message or None


def parse_size(text):
    """Bytes in '512M', '1G', '1.5g', '800000' (K, M, G, T are powers of 1024); ValueError if not a size."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*", str(text), re.I)
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"{text!r} is not a memory size: write it like 512M or 2G")
    return int(float(match.group(1)) * UNITS[match.group(2).upper()])


def mapped_bytes():
    """The address space this process maps now (Linux: /proc/self/statm, in pages)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


# ------------------------------------------------------------------ system calls

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result, what):
    if result != 0:
        code = ctypes.get_errno()
        hint = ": unprivileged user namespaces are turned off" if code in (errno.EPERM, errno.EINVAL) \
            and what.startswith("unshare") and os.geteuid() != 0 else ""
        raise SandboxError(code, f"{what} failed: {os.strerror(code)}{hint}")


def _unshare(flags):
    if not linux.ON_LINUX:
        raise SandboxError(errno.ENOSYS, "namespaces exist only on Linux")
    _check(_libc.unshare(flags), "unshare (new namespaces)")


def _map_ids(uid, gid):
    """In a new user namespace: be there who we are outside (and map nobody else)."""
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as f:
            f.write(text)


def _mount(source, target, fstype, flags, data=None):
    _check(_libc.mount(None if source is None else str(source).encode(), str(target).encode(),
                       None if fstype is None else fstype.encode(), ctypes.c_ulong(flags),
                       None if data is None else data.encode()),
           f"mount {source or ''} on {target}")


def _handle(path):
    """An O_PATH descriptor of the folder `path` (None for a symlink or anything else), to bind it
    from after its own path is covered."""
    if path.is_symlink() or not path.is_dir():
        return None
    return os.open(path, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)


def _bind_read_only(path, handle, root):
    """`path` at the same place under `root`, read-only, bound from `handle` (_handle); a symlink is
    copied as a symlink."""
    if path.is_symlink():
        target = root / path.relative_to("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() and not target.is_symlink():
            target.symlink_to(os.readlink(path))
        return
    if handle is None:
        return
    source = f"/proc/self/fd/{handle}"
    target = root / path.relative_to("/")
    target.mkdir(parents=True, exist_ok=True)
    _mount(source, target, None, MS_BIND)
    # A read-only remount must keep the flags the mount already has (the kernel insists, in a user
    # namespace): nosuid, nodev, noexec as statvfs reports them.
    kept = sum(bit for flag, bit in ST_FLAGS.items() if os.statvfs(source).f_flag & flag)
    _mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | kept)
    os.close(handle)


def _pivot_root():
    """Make the current folder the root, and let go of the old one."""
    number = PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise SandboxError(errno.ENOSYS, f"pivot_root: unknown system call number on {platform.machine()}")
    _check(_libc.syscall(number, b".", b"."), "pivot_root")
    _check(_libc.umount2(b".", MNT_DETACH), "unmount the old root")
    os.chdir("/")


def _loopback_up():
    """Bring up `lo` in this network namespace."""
    import fcntl
    import socket
    import struct

    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        flags = struct.unpack("16sh", fcntl.ioctl(s, siocgifflags, struct.pack("16sh", b"lo", 0)))[1]
        fcntl.ioctl(s, siocsifflags, struct.pack("16sh", b"lo", flags | iff_up))


def _drop_capabilities():
    """Give up every capability (those a user namespace handed us), for good."""
    for cap in range(64):
        _libc.prctl(24, cap, 0, 0, 0)                      # PR_CAPBSET_DROP; EINVAL past the last one
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)          # _LINUX_CAPABILITY_VERSION_3, this process
    data = (ctypes.c_uint32 * 6)()                         # effective, permitted, inheritable: none
    _check(_libc.capset(header, data), "capset (drop capabilities)")
    _libc.prctl(47, 4, 0, 0, 0)                            # PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL
