"""Limits on what a submission may use when it is graded without Docker: memory, and the network.

Both are set inside a submission's grading process before its kernel is forked from it, so the
kernel and everything the notebook starts inherit them; the batch process itself is not limited.

memory   a resource limit on the address space (RLIMIT_AS) of the grading process and its tree:
         what the process already maps (Python, Otter, torch, preloaded) plus SIZE. An allocation
         past it fails at once with MemoryError (or kills the kernel), so one submission cannot
         take down the machine; the submission gets status "error", "out of memory (limit SIZE)".
         It caps each process of the tree, not their sum, and counts address space rather than
         resident memory, so set it with room to spare (a lab needs well under 1G). cgroups are
         not used: they need a delegated cgroup, which a TA's laptop or a course server rarely has.
network  a network namespace of its own (Linux: as root, or through a user namespace where the
         kernel allows unprivileged ones): only a loopback device of its own, so neither the
         internet nor the grading machine's own services (127.0.0.1) can be reached. Where the
         kernel does not allow it, `rnncourse grade --no-network` refuses to start and says why.
"""

import ctypes
import errno
import os
import re
from dataclasses import dataclass

UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
CLONE_NEWUSER, CLONE_NEWNET = 0x10000000, 0x40000000


@dataclass(frozen=True)
class Limits:
    memory: int | None = None      # bytes a submission's processes may map beyond what grading maps
    memory_label: str = ""         # as the TA wrote it ("1G"), for messages
    no_network: bool = False

    def apply(self):
        """Set the limits on this process (a grading process, before its kernel starts)."""
        if self.memory:
            limit_memory(self.memory)
        if self.no_network:
            enter_network_namespace()


NO_LIMITS = Limits()         # as today, and the default: grading as the TA, with the TA's network


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


def limit_memory(size):
    import resource

    ceiling = mapped_bytes() + size
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))


def enter_network_namespace():
    """Move this process into a network namespace of its own, with its loopback up; OSError if the
    kernel refuses."""
    libc = ctypes.CDLL(None, use_errno=True)
    if os.geteuid() == 0:
        flags = CLONE_NEWNET
    else:       # an unprivileged user namespace in which we are still ourselves
        uid, gid = os.geteuid(), os.getegid()
        flags = CLONE_NEWUSER | CLONE_NEWNET
    if libc.unshare(flags) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"unshare(network namespace): {os.strerror(code)}")
    if flags & CLONE_NEWUSER:
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as f:
                f.write(text)
    loopback_up()


def loopback_up():
    """Bring up `lo` in this network namespace (kernels may talk to Jupyter over 127.0.0.1)."""
    import fcntl
    import socket
    import struct

    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        flags = struct.unpack("16sh", fcntl.ioctl(s, siocgifflags, struct.pack("16sh", b"lo", 0)))[1]
        fcntl.ioctl(s, siocsifflags, struct.pack("16sh", b"lo", flags | iff_up))


def network_namespace_problem():
    """Why --no-network cannot work here (a sentence), or None when a network namespace can be made.
    Tried in a forked child, so this process keeps its network."""
    if os.uname().sysname != "Linux":
        return "network namespaces exist only on Linux"
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            enter_network_namespace()
            message = b""
        except OSError as e:
            message = (f"the kernel refused a network namespace ({e.strerror or e})"
                       + (": unprivileged user namespaces are turned off" if e.errno in (errno.EPERM, errno.EINVAL)
                          and os.geteuid() != 0 else "")).encode()
        os.write(write, message)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as f:
        message = f.read().decode()
    os.waitpid(pid, 0)
    return message or None


def ran_out_of_memory(notebook):
    """Whether a cell of the executed notebook raised MemoryError."""
    return any(out.get("ename") == "MemoryError" for cell in (notebook.cells if notebook else [])
               for out in cell.get("outputs", []))
