"""OS-level limits of a worker process.

Applied in the worker right after it is forked from the zygote, after
everything it needs is imported (:func:`seal`):

* a scrubbed environment and no inherited file descriptors but its channel
  (stdin, stdout and stderr are ``/dev/null``);
* rlimits: no core files, no file writes (``RLIMIT_FSIZE=0``), no child
  processes (``RLIMIT_NPROC=0``, not enforced for root, hence seccomp), few
  descriptors, an address-space ceiling; per call (:class:`CallLimits`) an
  address-space budget of ``memory_mb`` above the current size and a CPU
  time budget;
* a seccomp filter (libseccomp through ``pyseccomp``) refusing with
  ``EPERM`` every syscall that opens files, creates processes or threads,
  opens sockets, signals or traces other processes, or changes the system;
  ``prlimit64`` only on itself;
* the worker dies with its parent (``PR_SET_PDEATHSIG``).

When libseccomp is missing the worker still runs (the language policy and
the rlimits stay) and says so in its ``ready`` message.
"""

from __future__ import annotations

import ctypes
import errno
import os
import resource
import signal
import sys
from typing import Any

#: Environment of the zygote and its workers: nothing from the server's environment.
SAFE_ENV_KEYS = ("PATH", "LANG", "LC_ALL", "TZ")

#: Syscalls refused with EPERM once a worker is sealed.
DENIED_SYSCALLS: tuple[str, ...] = (
    # files
    "open", "openat", "openat2", "creat", "open_by_handle_at", "name_to_handle_at",
    "mkdir", "mkdirat", "rmdir", "unlink", "unlinkat", "rename", "renameat", "renameat2",
    "link", "linkat", "symlink", "symlinkat", "mknod", "mknodat", "truncate",
    "chmod", "fchmod", "fchmodat", "chown", "fchown", "lchown", "fchownat",
    "utime", "utimes", "utimensat", "futimesat", "memfd_create", "inotify_init", "inotify_init1",
    "fanotify_init", "io_uring_setup", "io_uring_enter", "io_uring_register",
    # processes and threads ("clone3" answers ENOSYS, see install_seccomp)
    "fork", "vfork", "clone", "execve", "execveat",
    # network
    "socket", "socketpair", "connect", "bind", "listen", "accept", "accept4",
    # other processes
    "kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "ptrace",
    "process_vm_readv", "process_vm_writev", "pidfd_open", "pidfd_send_signal", "pidfd_getfd",
    "setpriority", "sched_setaffinity", "sched_setscheduler", "sched_setparam", "ioprio_set",
    "move_pages", "migrate_pages", "kcmp",
    # the system
    "mount", "umount2", "pivot_root", "chroot", "swapon", "swapoff", "reboot", "init_module",
    "finit_module", "delete_module", "kexec_load", "kexec_file_load", "iopl", "ioperm",
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "sethostname", "setdomainname",
    "acct", "quotactl", "personality", "unshare", "setns", "bpf", "perf_event_open", "userfaultfd",
    "keyctl", "add_key", "request_key", "syslog", "vhangup", "lookup_dcookie",
    "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setfsuid", "setfsgid",
    "setgroups", "capset",
)

#: Address-space ceiling above the worker's size at start (per-call budgets are lower).
HARD_MEMORY_MB = 4096
#: A worker whose resident memory grew this much since it started (Script
#: instances keeping data in ``self`` across calls) is replaced after its call.
RECYCLE_GROWTH_MB = 256

_PR_SET_PDEATHSIG = 1


def scrubbed_env() -> dict[str, str]:
    """The environment given to the zygote: a few harmless keys, plus the import path."""
    env = {key: os.environ[key] for key in SAFE_ENV_KEYS if key in os.environ}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # threads of the server-side helpers of the zygote must not reserve 64 MB
    # malloc arenas each: address space is what the per-call budget counts
    env["MALLOC_ARENA_MAX"] = "2"
    return env


def die_with_parent() -> None:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


def isolate_descriptors(keep: tuple[int, ...]) -> None:
    """stdin/stdout/stderr to /dev/null, every other descriptor but ``keep`` closed."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        if fd != null:
            os.dup2(null, fd)
    low = 3
    for fd in sorted(set(keep)):
        if fd >= low:
            os.closerange(low, fd)
            low = fd + 1
    os.closerange(low, max(low, _max_fd()))


def _max_fd() -> int:
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return 65536 if soft == resource.RLIM_INFINITY else min(soft, 1 << 20)


def _set(limit: int, soft: int, hard: int | None = None) -> None:
    try:
        resource.setrlimit(limit, (soft, soft if hard is None else hard))
    except (ValueError, OSError):  # pragma: no cover - already lower
        pass


class MemoryMeter:
    """The process's virtual size, read through a descriptor opened before sealing."""

    def __init__(self) -> None:
        self._fd = os.open("/proc/self/statm", os.O_RDONLY)
        self._page = os.sysconf("SC_PAGE_SIZE")

    def vm_bytes(self) -> int:
        """The process's virtual size now, in bytes (first field of ``/proc/self/statm``)."""
        return int(os.pread(self._fd, 128, 0).split()[0]) * self._page

    def rss_bytes(self) -> int:
        """The process's resident size now, in bytes (second field of ``/proc/self/statm``)."""
        return int(os.pread(self._fd, 128, 0).split()[1]) * self._page

    @property
    def fd(self) -> int:
        """The descriptor open on ``/proc/self/statm`` (kept when the worker closes the others)."""
        return self._fd


def apply_rlimits(meter: MemoryMeter) -> None:
    """The per-process rlimits of a worker (see the module docstring)."""
    _set(resource.RLIMIT_CORE, 0)
    _set(resource.RLIMIT_FSIZE, 0)
    _set(resource.RLIMIT_NPROC, 0)
    _set(resource.RLIMIT_NOFILE, 32)
    _set(resource.RLIMIT_MEMLOCK, 0)
    _set(resource.RLIMIT_MSGQUEUE, 0)
    hard = meter.vm_bytes() + HARD_MEMORY_MB * 1024 * 1024
    _set(resource.RLIMIT_AS, hard, hard)


def install_seccomp() -> str | None:
    """Load the syscall filter; return why it could not be, or ``None`` when it is active."""
    try:
        import pyseccomp as seccomp
    except (ImportError, RuntimeError, OSError) as exc:
        return f"seccomp unavailable ({exc}); install libseccomp2 and pyseccomp"
    try:
        flt = seccomp.SyscallFilter(seccomp.ALLOW)
        for name in DENIED_SYSCALLS:
            try:
                flt.add_rule(seccomp.ERRNO(errno.EPERM), name)
            except (OSError, ValueError, RuntimeError):
                continue  # not a syscall on this architecture
        try:
            flt.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")  # makes libc fall back to clone
        except (OSError, ValueError, RuntimeError):
            pass
        # no new processes and no new threads (engines run single-threaded in a worker)
        flt.add_rule(seccomp.ERRNO(errno.EPERM), "prlimit64", seccomp.Arg(0, seccomp.NE, 0))
        flt.load()
    except (OSError, RuntimeError) as exc:
        return f"seccomp filter could not be loaded: {exc}"
    return None


class CallLimits:
    """Per-call budgets: address space ``memory_mb`` above the current size, CPU seconds.

    Four system calls a call (was seven): the hard address-space limit is read once (only
    :func:`apply_rlimits` sets it, before the first call), and the CPU-time limit, which the kernel
    counts in whole seconds, is set again only when its value changes (about once per CPU second of
    the worker).  Between calls the address space goes back to the hard limit; the CPU-time limit
    stays the last call's, at least 2 s above what the worker had used when that call began.
    """

    def __init__(self, meter: MemoryMeter) -> None:
        self._meter = meter
        self._hard_as: int | None = None
        self._cpu_set: int | None = None

    def _hard(self) -> int:
        hard = self._hard_as
        if hard is None:
            hard = self._hard_as = resource.getrlimit(resource.RLIMIT_AS)[1]
        return hard

    def enter(self, memory_mb: int, timeout_ms: int) -> None:
        """Before a call: address space at most the current size + ``memory_mb`` MiB (never above the
        hard limit), CPU time at most the seconds used so far + ``timeout_ms`` + 2 s (then SIGXCPU)."""
        hard = self._hard()
        budget = self._meter.vm_bytes() + memory_mb * 1024 * 1024
        if hard != resource.RLIM_INFINITY:
            budget = min(budget, hard)
        _set(resource.RLIMIT_AS, budget, hard)
        used = resource.getrusage(resource.RUSAGE_SELF)
        cpu = int(used.ru_utime + used.ru_stime) + timeout_ms // 1000 + 2
        if cpu != self._cpu_set:
            _set(resource.RLIMIT_CPU, cpu, resource.RLIM_INFINITY)
            self._cpu_set = cpu

    def leave(self) -> None:
        """After a call: raise the address-space limit back to the hard limit."""
        hard = self._hard()
        _set(resource.RLIMIT_AS, hard, hard)


def describe_status(status: int) -> str:
    """Human words for a ``waitpid`` status."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        hint = {"SIGKILL": " (timeout, out of memory or killed)", "SIGSEGV": " (crash)",
                "SIGXCPU": " (CPU time limit)", "SIGABRT": " (abort)", "SIGBUS": " (crash)"}.get(name, "")
        return f"killed by {name}{hint}"
    if os.WIFEXITED(status):
        return f"exited with status {os.WEXITSTATUS(status)}"
    return f"ended with status {status}"


__all__: list[Any] = [
    "DENIED_SYSCALLS",
    "CallLimits",
    "MemoryMeter",
    "apply_rlimits",
    "describe_status",
    "die_with_parent",
    "install_seccomp",
    "isolate_descriptors",
    "scrubbed_env",
]
