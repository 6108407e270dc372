"""Three-tier policy for globals named in a pickle, modelled on torch.load(weights_only=True).

1. DENY: known ways to run code, import modules, reach the network or files, or build calls
   indirectly. Matched on the module, every dotted prefix of it, and every dotted component of
   module + name, after Python 2 names are mapped to Python 3 ones. Configuration cannot allow these.
2. ALLOW: torch's weights-only globals, numpy array reconstruction, vetted stdlib data types,
   and the user's `allow_globals`.
3. Everything else is UNKNOWN: reported, at lower severity.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import NamedTuple

# Python 2 names that pickle protocol <= 2 writes and Python 3's unpickler maps (_compat_pickle).
PY2_MODULES = {
    "__builtin__": "builtins",
    "copy_reg": "copyreg",
    "Queue": "queue",
    "cPickle": "pickle",
    "commands": "subprocess",
    "urllib2": "urllib.request",
    "httplib": "http.client",
    "SocketServer": "socketserver",
    "thread": "_thread",
    "exceptions": "builtins",
    "UserDict": "collections",
    "cStringIO": "io",
    "StringIO": "io",
}

# Whole modules (and their submodules) that have no business in a model file.
# fmt: off
DENY_MODULES = frozenset({
    "os", "posix", "nt", "subprocess", "pty", "sys", "shutil", "signal", "multiprocessing", "_posixsubprocess",
    "_winapi", "msvcrt", "resource", "venv", "ensurepip", "pip", "_osx_support", "_aix_support", "_pyrepl",
    "platform", "sysconfig", "site", "atexit", "faulthandler", "gc", "runpy", "code", "codeop", "compileall",
    "py_compile", "importlib", "imp", "pkgutil", "zipimport", "marshal", "types", "ast", "dis", "inspect",
    "timeit", "cProfile", "profile", "trace", "pdb", "bdb", "doctest", "idlelib", "lib2to3", "pydoc",
    "pydoc_data", "unittest", "test", "tkinter", "turtle", "_interpreters", "_xxsubinterpreters", "concurrent",
    "threading", "_thread", "asyncio", "sched", "ctypes", "_ctypes", "cffi", "builtins", "__main__",
    "__builtin__", "operator", "_operator", "functools", "_functools", "copyreg", "pickle", "_pickle",
    "pickletools", "shelve", "dbm", "dill", "cloudpickle", "jsonpickle", "joblib.externals.cloudpickle",
    "numpy.f2py", "numpy.testing", "numpy.distutils", "numpy.lib.utils", "pandas.io.pickle", "socket",
    "_socket", "ssl", "http", "urllib", "urllib3", "requests", "httpx", "aiohttp", "ftplib", "smtplib",
    "imaplib", "poplib", "nntplib", "telnetlib", "socketserver", "xmlrpc", "webbrowser", "mailcap", "io", "_io",
    "fileinput", "tempfile", "glob", "zipfile", "tarfile", "logging", "distutils", "setuptools", "sqlite3",
    "_sqlite3", "torch.hub", "torch._dynamo", "torch._inductor", "torch.jit", "torch.fx",
    "torch.utils.collect_env", "torch.utils.bottleneck", "torch.utils._config_module",
    "torch.utils.data.datapipes", "torch.package", "torch.compile", "torch.serialization", "torch._export",
    "torch.export"
})
# fmt: on

# Names that are dangerous wherever they appear as a dotted component (module or attribute path).
# fmt: off
DENY_COMPONENTS = frozenset({
    "eval", "exec", "execfile", "compile", "__import__", "open", "breakpoint", "input", "getattr", "setattr",
    "delattr", "globals", "locals", "vars", "apply", "system", "popen", "spawn", "spawnl", "spawnv", "execv",
    "execve", "execvp", "fork", "forkpty", "run", "call", "check_call", "check_output", "getoutput",
    "getstatusoutput", "Popen", "load", "loads", "resolve_name", "import_module", "methodcaller", "attrgetter",
    "itemgetter", "partial", "partialmethod", "reduce", "__reduce__", "__reduce_ex__", "__builtins__",
    "__globals__", "__subclasses__", "__class__", "__getattribute__", "__getattr__", "__init_subclass__",
    "__dict__", "__code__", "CodeType", "FunctionType", "LambdaType", "MethodType", "runcode", "runsource",
    "interact", "write_file", "FileIO", "FileHandler", "locate", "urlopen", "urlretrieve", "create_connection",
    "load_config", "execWrapper", "compile_file", "basichandlers", "evaluate_guards_expression", "runstring",
    "getlincoef", "_run_pip", "_get_command_stdout", "IMAP4_stream", "findmatch", "script_helper", "write_text",
    "write_bytes", "unlink", "rmtree", "symlink_to", "hardlink_to", "chmod", "chown", "remove", "rmdir",
    "removedirs", "makedirs", "mkdir", "touch", "save", "savez", "savez_compressed", "savetxt", "tofile",
    "fromfile", "loadtxt", "genfromtxt", "fromregex", "memmap", "dump", "dumps"
})
# fmt: on

# Known-safe globals: torch's weights-only allowlist (structure, not every dtype spelled), numpy
# reconstruction and scalars, and stdlib value types. Exact "module.name" strings.
_TORCH_STORAGES = [
    f"torch.{kind}Storage"
    for kind in (
        "Float",
        "Double",
        "Half",
        "BFloat16",
        "Long",
        "Int",
        "Short",
        "Char",
        "Byte",
        "Bool",
        "ComplexFloat",
        "ComplexDouble",
        "QUInt8",
        "QInt8",
        "QInt32",
        "QUInt4x2",
        "QUInt2x4",
    )
]
ALLOW_EXACT = frozenset(
    {
        "collections.OrderedDict",
        "collections.Counter",
        "collections.defaultdict",
        "collections.deque",
        "_codecs.encode",  # protocol 2 writes bytes as _codecs.encode(str, 'latin1'); torch allows it
        "datetime.datetime",
        "datetime.date",
        "datetime.time",
        "datetime.timedelta",
        "datetime.timezone",
        "decimal.Decimal",
        "fractions.Fraction",
        "argparse.Namespace",
        "uuid.UUID",
        "enum.Enum",
        "pathlib.PurePath",
        "pathlib.PurePosixPath",
        "pathlib.PureWindowsPath",
        "torch._utils._rebuild_tensor",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_tensor_v3",
        "torch._utils._rebuild_parameter",
        "torch._utils._rebuild_parameter_with_state",
        "torch._utils._rebuild_sparse_tensor",
        "torch._utils._rebuild_device_tensor_from_numpy",
        "torch._utils._rebuild_qtensor",
        "torch._utils._rebuild_nested_tensor",
        "torch._utils._rebuild_wrapper_subclass",
        "torch._utils._rebuild_meta_tensor_no_storage",
        "torch._tensor._rebuild_from_type_v2",
        "torch.nn.parameter.Parameter",
        "torch.Tensor",
        "torch.Size",
        "torch.device",
        "torch.dtype",
        "torch.storage.TypedStorage",
        "torch.storage.UntypedStorage",
        "torch.float32",
        "torch.float16",
        "torch.bfloat16",
        "torch.float64",
        "torch.int64",
        "torch.int32",
        "torch.int16",
        "torch.int8",
        "torch.uint8",
        "torch.bool",
        "torch.complex64",
        "torch.complex128",
        "torch.per_tensor_affine",
        "torch.per_channel_affine",
        "torch.contiguous_format",
        "torch.channels_last",
        "torch.preserve_format",
        "torch.strided",
        "torch.sparse_coo",
        *_TORCH_STORAGES,
        "numpy.core.multiarray._reconstruct",
        "numpy._core.multiarray._reconstruct",
        "numpy.core.multiarray.scalar",
        "numpy._core.multiarray.scalar",
        "numpy.ndarray",
        "numpy.dtype",
        "numpy.core.numeric._frombuffer",
        "numpy._core.numeric._frombuffer",
        "numpy.ma.core._mareconstruct",
        "numpy.random._pickle.__randomstate_ctor",
        "numpy.random._pickle.__generator_ctor",
        "numpy.random._pickle.__bit_generator_ctor",
        "joblib.numpy_pickle.NumpyArrayWrapper",
        "joblib.numpy_pickle_compat.NDArrayWrapper",
        "sklearn.utils._bunch.Bunch",
    }
)
# numpy scalar and dtype classes (numpy.float32, numpy.dtypes.Float64DType, ...).
ALLOW_PREFIXES = ("numpy.dtypes.",)
NUMPY_TYPES = frozenset(
    {
        "dtype",
        "ndarray",
        "generic",
        "number",
        "bool_",
        "object_",
        "str_",
        "bytes_",
        "void",
        "datetime64",
        "timedelta64",
        "longdouble",
        "clongdouble",
        "half",
        "single",
        "double",
        "intc",
        "uintc",
        "intp",
        "uintp",
        *(f"float{n}" for n in (16, 32, 64, 96, 128)),
        *(f"int{n}" for n in (8, 16, 32, 64)),
        *(f"uint{n}" for n in (8, 16, 32, 64)),
        *(f"complex{n}" for n in (64, 128, 192, 256)),
    }
)
# Value types from builtins: the module is denied as a whole, these names are not.
# fmt: off
SAFE_BUILTINS = frozenset({
    "set", "frozenset", "complex", "bytearray", "slice", "range", "bool", "int", "float", "str", "bytes",
    "list", "dict", "tuple", "object", "NotImplemented", "Ellipsis"
})
# fmt: on
# Call helpers that protocol 0-2 pickles of ordinary objects use; their arguments are globals that
# are classified on their own, so they are unknown rather than denied.
REDUCERS = frozenset({"copyreg._reconstructor", "copyreg.__newobj__", "copyreg.__newobj_ex__"})


class Verdict(enum.Enum):
    DENY = "deny"
    ALLOW = "allow"
    UNKNOWN = "unknown"


class Classification(NamedTuple):
    verdict: Verdict
    qualified: str  # module.name after Python 2 mapping
    reason: str


def normalise(module: str, name: str) -> tuple[str, str]:
    """Apply the Python 2 -> 3 mapping the unpickler applies for protocol < 3."""
    head, _, rest = module.partition(".")
    mapped = PY2_MODULES.get(module) or (PY2_MODULES[head] + "." + rest if head in PY2_MODULES and rest else module)
    return mapped, name


def _prefixes(dotted: str) -> Iterable[str]:
    parts = dotted.split(".")
    return (".".join(parts[: i + 1]) for i in range(len(parts)))


def classify(module: str, name: str, allow: frozenset[str] = frozenset()) -> Classification:
    """Decide what a GLOBAL/STACK_GLOBAL reference is. Deny wins over every allow."""
    module, name = normalise(module, name)
    qualified = f"{module}.{name}"
    # Protocol 4 resolves dotted names with getattr: ("pathlib", "os.system") reaches os.system.
    components = [c for c in qualified.split(".") if c]
    if module == "builtins" and name in SAFE_BUILTINS:
        return Classification(Verdict.ALLOW, qualified, "builtin value type")
    if qualified in REDUCERS:
        return Classification(Verdict.UNKNOWN, qualified, "object reconstruction helper (protocol 0-2)")
    for prefix in _prefixes(module):
        if prefix in DENY_MODULES:
            return Classification(Verdict.DENY, qualified, f"module {prefix} is on the denylist")
    for dotted_in_name in _prefixes(name):
        if "." in name and dotted_in_name in DENY_MODULES:
            return Classification(Verdict.DENY, qualified, f"name reaches module {dotted_in_name}")
    for component in components:
        if component in DENY_COMPONENTS:
            return Classification(Verdict.DENY, qualified, f"{component} runs code or resolves names")
        if component in DENY_MODULES:
            return Classification(Verdict.DENY, qualified, f"reaches module {component} through an attribute path")
    if "." in name:
        # A dotted attribute path is never needed by a benign reducer; treat as unknown at best.
        return Classification(Verdict.UNKNOWN, qualified, "dotted attribute path in the global's name")
    if qualified in ALLOW_EXACT or qualified in allow or module in allow:
        return Classification(Verdict.ALLOW, qualified, "allowlisted")
    if (module == "numpy" and name in NUMPY_TYPES) or module.startswith(ALLOW_PREFIXES):
        # numpy.float64, numpy.int32 ... scalar types; numpy functions with side effects are denied above.
        return Classification(Verdict.ALLOW, qualified, "numpy scalar or dtype type")
    if name.startswith("_rebuild") and module.startswith("torch."):
        return Classification(Verdict.ALLOW, qualified, "torch tensor reconstruction")
    return Classification(Verdict.UNKNOWN, qualified, "not on the allowlist")
