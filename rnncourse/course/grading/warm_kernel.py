"""Warm kernels: the Jupyter kernel of a grading process is forked from it, its imports done already.

A fresh IPython kernel spends most of a short grading importing: ipykernel, then torch, matplotlib
and Otter in the notebook's first cells (about 2.5 s of 3.5 s for lab 01 on one core). The batch
process imports all of that once (`preload`); each grading process, which it forks, forks once
more before Otter starts (`prepare`): a child that waits on a pipe. When Otter's notebook runner
asks Jupyter for a `python3` kernel, the kernelspec written by `prepare` names the provisioner
below, which hands the kernel's command line, environment and folder to the waiting child; the
child becomes an ordinary IPython kernel (IPKernelApp, the same code `python -m
ipykernel_launcher` runs) with the modules already in memory.

The kernel is a child of its grading process, in a session of its own, as Jupyter's own kernels
are; it dies with the grading process. Anything unusual (no child waiting, another command line)
falls back to Jupyter's ordinary launch, and RNNCOURSE_FRESH_KERNELS=1 turns warm kernels off.
Fork only copies memory: nothing the notebook does reaches the batch process or another submission.
"""

import importlib
import importlib.util
import json
import os
import signal
import sys
import tempfile
import uuid
from importlib.metadata import entry_points
from pathlib import Path

from jupyter_client.provisioning import LocalProvisioner

from . import linux

PROVISIONER = "rnncourse-warm"
FRESH_KERNELS_ENV = "RNNCOURSE_FRESH_KERNELS"   # set to 1: every kernel started afresh by Jupyter
KERNEL_PREFIX = ["-m", "ipykernel_launcher"]
# What every kernel imports before the notebook runs (its debugger support alone, debugpy, takes
# about 0.4 s), what the course's first cell imports, and what the labs' hidden tests import
# (rnncourse.course.kernel.checks, with torch).
KERNEL_MODULES = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.debugger", "IPython",
                  "IPython.core.completerlib", "IPython.core.debugger", "IPython.core.logger",
                  "IPython.core.oinspect", "IPython.extensions.storemagic", "IPython.utils.wildcard",
                  "faulthandler", "sqlite3", "tornado.platform.asyncio", "tornado.queues",
                  "matplotlib_inline.backend_inline", "otter", "rnncourse", "rnncourse.course.kernel.checks")

_waiting = None     # the child forked by prepare(), until a kernel is asked for


def preload(notebook_modules=()):
    """Import the kernel's modules and `notebook_modules` here, so that forks inherit them.

    Matplotlib reads its backend when it is imported: set the one ipykernel sets, first. debugpy
    warns at import about Python's frozen modules unless told not to, as ipykernel's own kernelspec
    tells it.
    """
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    for module in (*KERNEL_MODULES, *notebook_modules):
        try:
            importlib.import_module(module)
        except Exception:       # the notebook will meet the same error itself, and report it
            pass
    if "torch" in sys.modules:
        _import_dynamo()


def _import_dynamo():
    """Import torch._dynamo, which the first torch optimizer imports (about 1 s).

    It makes its cache folder when imported, in TMPDIR unless TORCHINDUCTOR_CACHE_DIR names one:
    here, in a temporary folder that goes again. Kernels find their own (in their TMPDIR) if they
    need one.
    """
    if os.environ.get("TORCHINDUCTOR_CACHE_DIR"):
        importlib.import_module("torch._dynamo")
        return
    with tempfile.TemporaryDirectory(prefix="rnncourse-torch-") as cache:
        os.environ["TORCHINDUCTOR_CACHE_DIR"] = cache
        try:
            importlib.import_module("torch._dynamo")
        finally:
            del os.environ["TORCHINDUCTOR_CACHE_DIR"]


def available():
    """Whether warm kernels are wanted (RNNCOURSE_FRESH_KERNELS unset) and Jupyter can find the
    provisioner (registered when rnncourse is installed)."""
    if os.environ.get(FRESH_KERNELS_ENV, "") not in ("", "0"):
        return False
    return any(ep.name == PROVISIONER for ep in entry_points(group="jupyter_client.kernel_provisioners"))


def prepare(work):
    """Fork the waiting child and point Jupyter's `python3` kernelspec at it (JUPYTER_PATH in `work`).

    Call in a single-threaded process, before any event loop or socket exists.
    """
    global _waiting
    if not available() or not hasattr(os, "fork"):
        return
    spec = Path(work) / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True, exist_ok=True)
    spec.joinpath("kernel.json").write_text(json.dumps({
        "argv": [sys.executable, *KERNEL_PREFIX, "-f", "{connection_file}"],
        "display_name": "Python 3 (ipykernel)", "language": "python",
        "metadata": {"kernel_provisioner": {"provisioner_name": PROVISIONER, "config": {}}},
    }))
    os.environ["JUPYTER_PATH"] = str(spec.parent.parent)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(write_end)
        code = 1
        try:
            code = _become_kernel(read_end)
        finally:
            os._exit(code)
    os.close(read_end)
    _waiting = ForkedKernel(pid, write_end)


def _become_kernel(read_end):
    """The waiting child: wait for a launch request, then run an IPython kernel; its exit code."""
    global _waiting
    _waiting = None
    os.setsid()                     # a session of its own, like the kernels Jupyter starts
    linux.die_with_parent()
    chunks = []
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
    os.close(read_end)
    if not chunks:
        return 0                    # no kernel was needed
    request = json.loads(b"".join(chunks))
    linux.set_name("ipykernel")
    os.environ.clear()
    os.environ.update(request["env"])
    if request["cwd"]:
        os.chdir(request["cwd"])
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    args = request["argv"]
    sys.argv = [importlib.util.find_spec("ipykernel_launcher").origin, *args]
    sys.path.pop(0)                 # the batch's script folder, which a kernel's path does not hold
    _as_if_fresh()
    from ipykernel import kernelapp

    try:
        kernelapp.IPKernelApp.launch_instance(argv=args)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else 0
    return 0


def _as_if_fresh():
    """What a new process would have that a fork does not: its own random seeds, and the thread
    counts of torch and of NumPy's BLAS read from the environment it was given (both read it once,
    at import)."""
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        torch.seed()
        threads = os.environ.get("OMP_NUM_THREADS", "")
        if threads.isdigit() and int(threads) > 0:
            torch.set_num_threads(int(threads))
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()
        threads = os.environ.get("OPENBLAS_NUM_THREADS", "")
        if threads.isdigit() and int(threads) > 0:
            try:        # NumPy's BLAS started its threads in the batch process, before this limit was set
                from threadpoolctl import threadpool_limits
                threadpool_limits(int(threads), user_api="blas")
            except ImportError:
                pass


class ForkedKernel:
    """The waiting child, seen as the subprocess.Popen that LocalProvisioner expects."""

    stdin = stdout = stderr = None

    def __init__(self, pid, write_end):
        self.pid, self._write_end, self.returncode = pid, write_end, None

    def start(self, argv, env, cwd):
        data = json.dumps({"argv": argv, "env": dict(env), "cwd": str(cwd) if cwd else None}).encode()
        os.write(self._write_end, data)
        os.close(self._write_end)

    def dismiss(self):
        """Not needed after all: the child reads the end of the pipe and exits."""
        os.close(self._write_end)

    def poll(self):
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                pid, status = self.pid, 0
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout=None):
        if self.returncode is None:
            try:
                _, status = os.waitpid(self.pid, 0)
                self.returncode = os.waitstatus_to_exitcode(status)
            except ChildProcessError:
                self.returncode = 0
        return self.returncode

    def send_signal(self, signum):
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self):
        self.send_signal(signal.SIGKILL)

    def terminate(self):
        self.send_signal(signal.SIGTERM)


class WarmProvisioner(LocalProvisioner):
    """Jupyter's local provisioner, launching into the waiting child when there is one.

    On Linux the kernel talks over abstract Unix sockets, named for it alone: two grading
    processes starting kernels at the same moment can draw the same free TCP ports, and a client
    would then talk to the other's kernel. (Abstract sockets need no file, so neither a long
    TMPDIR nor a killed grading process leaves anything behind.)
    """

    async def pre_launch(self, **kwargs):
        km = self.parent
        if km is not None and sys.platform.startswith("linux"):
            km.transport, km.cache_ports = "ipc", False
            km.ip = f"@rnncourse-kernel-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        return await super().pre_launch(**kwargs)

    async def launch_kernel(self, cmd, **kwargs):
        global _waiting
        child, _waiting = _waiting, None
        if child is None or cmd[1:3] != KERNEL_PREFIX:
            if child is not None:
                child.dismiss()
            return await super().launch_kernel(cmd, **kwargs)
        # Popen would start the kernel in this process's folder unless told otherwise: so does the child.
        child.start(cmd[3:], kwargs.get("env") or os.environ, kwargs.get("cwd") or os.getcwd())
        self.process, self.pid, self.pgid = child, child.pid, child.pid
        self.cwd = kwargs.get("cwd", Path.cwd())
        return self.connection_info
