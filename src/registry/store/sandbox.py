"""Take the network away from the current process: a seccomp filter that makes every socket other than a
Unix one fail with EACCES (and io_uring, which could open sockets behind the filter's back).

The SPARQL workers install it before they open any store, so a query's SERVICE clause cannot reach any
host however it is spelt: the engine itself cannot open a connection. Linux on x86-64 and AArch64 only;
`deny_network()` says False where it cannot install the filter.
"""

from __future__ import annotations

import ctypes
import errno
import platform
import struct
import sys

# classic BPF opcodes (linux/filter.h)
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_RET_K = 0x06
_ALLOW = 0x7FFF0000  # SECCOMP_RET_ALLOW
_DENY = 0x00050000 | errno.EACCES  # SECCOMP_RET_ERRNO
_AF_UNIX = 1
_X32_BIT = 0x40000000
#: machine -> (audit arch, socket, io_uring_setup, seccomp) system call numbers
_ARCH = {
    "x86_64": (0xC000003E, 41, 425, 317),
    "aarch64": (0xC00000B7, 198, 425, 277),
}
_PR_SET_NO_NEW_PRIVS = 38
_SECCOMP_SET_MODE_FILTER = 1
_SECCOMP_FILTER_FLAG_TSYNC = 1


def _program(arch: int, nr_socket: int, nr_uring: int) -> bytes:
    def op(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
        return struct.pack("=HBBI", code, jt, jf, k)

    return b"".join([
        op(_LD_W_ABS, 4),                  # 0: seccomp_data.arch
        op(_JEQ_K, arch, 0, 7),            # 1: another ABI (i386, x32 through int 0x80): deny
        op(_LD_W_ABS, 0),                  # 2: seccomp_data.nr
        op(_JGE_K, _X32_BIT, 5, 0),        # 3: x32 system calls: deny
        op(_JEQ_K, nr_uring, 4, 0),        # 4: io_uring_setup: deny
        op(_JEQ_K, nr_socket, 0, 2),       # 5: socket(): look at its domain; anything else: allow
        op(_LD_W_ABS, 16),                 # 6: args[0], low half (little-endian)
        op(_JEQ_K, _AF_UNIX, 0, 1),        # 7: AF_UNIX: allow, else deny
        op(_RET_K, _ALLOW),                # 8
        op(_RET_K, _DENY),                 # 9
    ])


def deny_network() -> bool:
    """Install the filter on every thread of this process (it cannot be removed, and children inherit
    it); False where this platform has no such filter."""
    if not sys.platform.startswith("linux") or platform.machine() not in _ARCH:
        return False
    arch, nr_socket, nr_uring, nr_seccomp = _ARCH[platform.machine()]
    code = _program(arch, nr_socket, nr_uring)
    filt = ctypes.create_string_buffer(code, len(code))
    prog = struct.pack("@HP", len(code) // 8, ctypes.addressof(filt))
    prog_buf = ctypes.create_string_buffer(prog, len(prog))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return False
    rc = libc.syscall(nr_seccomp, _SECCOMP_SET_MODE_FILTER, _SECCOMP_FILTER_FLAG_TSYNC, prog_buf)
    return bool(rc == 0)
