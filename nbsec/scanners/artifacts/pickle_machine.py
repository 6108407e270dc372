"""A static pickle machine: walks one pickle's opcodes with a simulated stack and memo, never executes.

It reads through a Reader (pickle_reader), which skips over large byte/string arguments
instead of loading them (a 512 MB tensor blob costs a seek, not 512 MB), so
memory stays flat on huge files. It records every global a load would import,
every call a load would make, names built at load time, and every way the
stream differs from a well-formed pickle (framing, truncation, invalid
opcodes, memo misses), because unpicklers disagree on broken streams.

joblib's inline numpy arrays are understood: raw array bytes that follow a
NumpyArrayWrapper are skipped by their shape and dtype, and object arrays
(which are nested pickles) are analysed recursively.

This is the hot loop of every model scan: `walk` runs one pickle from the reader's position.
The entry point, `pickle_vm.analyze`, drives it over stacked pickles and replays framing lies.
"""

from __future__ import annotations

import math
import struct
from typing import Any

from nbsec.scanners.artifacts.pickle_reader import (
    OPCODES,
    CallVal,
    GlobalVal,
    Opaque,
    Reader,
    StopWalk,
    Truncated,
    read_arg,
)
from nbsec.scanners.artifacts.pickle_result import Anomaly, CallRef, ComputedRef, GlobalRef, PickleAnalysis
from nbsec.scanners.artifacts.pickle_shape import embedded_bytes, expanded_size
from nbsec.scanners.artifacts.pickle_values import (
    MAX_CONTAINER_ITEMS,
    UNHASHABLE,
    UNHASHABLE_KEY,
    append_items,
    dict_of_pairs,
    dtype_itemsize,
    int_or,
    joblib_dtype,
    preview,
    set_items,
)
from nbsec.scanners.artifacts.policy import NESTED_LOADERS, normalise

MAX_NESTED_PICKLES = 8

# -- the machine -----------------------------------------------------------------------------


class _Machine:
    def __init__(self, reader: Reader, result: PickleAnalysis, max_ops: int, depth: int) -> None:
        self.r = reader
        self.result = result
        self.max_ops = max_ops
        self.depth = depth
        self.stack: list[Any] = []
        self.marks: list[int] = []
        self.memo: dict[int, Any] = {}
        self.frame_end: int | None = None
        self.start = reader.pos
        self.gets = 0

    # stack helpers
    def pop(self, offset: int) -> Any:
        if not self.stack or (self.marks and len(self.stack) <= self.marks[-1]):
            self.anomaly("stack", offset, "stack underflow")
            return Opaque("missing")
        return self.stack.pop()

    def pop_mark(self, offset: int) -> list[Any]:
        if not self.marks:
            self.anomaly("stack", offset, "no MARK on the stack")
            items, self.stack = self.stack, []
            return items
        at = self.marks.pop()
        items = self.stack[at:]
        del self.stack[at:]
        return items

    def anomaly(self, kind: str, offset: int, message: str) -> None:
        if len(self.result.anomalies) < 1000:
            self.result.anomalies.append(Anomaly(kind, offset, message))

    def run(self) -> Any:
        """Walk one pickle up to STOP; returns the top of the stack at STOP."""
        r = self.r
        while True:
            offset = r.pos
            if self.frame_end is not None:
                if offset == self.frame_end:
                    self.frame_end = None
                elif offset > self.frame_end:
                    self.anomaly("frame", offset, f"opcode crosses the end of the frame at byte {self.frame_end}")
                    self.frame_end = None
            code = r.read(1)
            op = OPCODES.get(code)
            if op is None:
                self.anomaly("invalid-opcode", offset, f"invalid opcode 0x{code[0]:02x}")
                raise StopWalk("invalid opcode")
            self.result.ops += 1
            if self.result.ops > self.max_ops:
                self.anomaly("limit", offset, f"more than {self.max_ops:,} opcodes; rest not analysed")
                raise StopWalk("opcode limit")
            name, kind = op
            arg = read_arg(r, kind)
            if name == "STOP":
                return self.stack[-1] if self.stack else None
            self.step(name, arg, offset)

    def step(self, name: str, arg: Any, offset: int) -> None:  # noqa: C901 - one branch per opcode family
        stack = self.stack
        # The branches test disjoint opcode names, so their order is free: the most frequent in real
        # checkpoints (memo writes and reads, pushed arguments, MARK) come first.
        if name in _PUT_OPS:
            index = int(arg) if not isinstance(arg, str) else int_or(arg)
            self.memo[index] = stack[-1] if stack else Opaque("missing")
        elif arg is not None and name in _PUSH_ARG:
            stack.append(arg)
        elif name in _GET_OPS:
            self.gets += 1
            index = int(arg) if not isinstance(arg, str) else int_or(arg)
            if index not in self.memo:
                self.anomaly("memo", offset, f"memo key {index} was never stored")
                stack.append(Opaque("missing memo"))
            else:
                stack.append(self.memo[index])
        elif name == "MARK":
            self.marks.append(len(stack))
        elif name == "PROTO":
            self.result.protocol = self.result.protocol or arg
            if offset != self.start:
                # Pickler writes PROTO once, first; a second one is a hand-edited stream.
                self.anomaly("malformed", offset, f"PROTO {arg} again after the start of the pickle")
            if not 0 <= arg <= 5:
                self.anomaly("invalid-opcode", offset, f"unsupported protocol {arg}")
        elif name == "FRAME":
            if self.frame_end is not None and offset < self.frame_end:
                self.anomaly("frame", offset, "FRAME inside an unfinished frame")
            self.frame_end = self.r.pos + arg
            if self.r.c_frames:
                self.r.frame_end = self.frame_end
            if self.r.end is not None and self.frame_end > self.r.end:
                self.anomaly("frame", offset, f"FRAME of {arg:,} bytes runs past the end of the data")
        elif name == "POP":
            if self.marks and len(stack) == self.marks[-1]:
                self.marks.pop()  # POP of a MARK, as the C unpickler does
            else:
                self.pop(offset)
        elif name == "POP_MARK":
            self.pop_mark(offset)
        elif name == "DUP":
            self.result.dups += 1
            stack.append(stack[-1] if stack else Opaque("missing"))
        elif name in ("NONE",):
            stack.append(None)
        elif name in ("NEWTRUE", "NEWFALSE"):
            stack.append(name == "NEWTRUE")
        elif name in ("EMPTY_LIST", "EMPTY_DICT", "EMPTY_SET"):
            stack.append({"EMPTY_LIST": [], "EMPTY_DICT": {}, "EMPTY_SET": set()}[name])
        elif name == "EMPTY_TUPLE":
            stack.append(())
        elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
            n = int(name[-1])
            items = [self.pop(offset) for _ in range(n)][::-1]
            stack.append(tuple(items))
        elif name == "TUPLE":
            stack.append(tuple(self.pop_mark(offset)))
        elif name == "LIST":
            stack.append(self.pop_mark(offset)[:MAX_CONTAINER_ITEMS])
        elif name == "FROZENSET":
            self.check_items(offset, self.pop_mark(offset))
            stack.append(Opaque("frozenset"))
        elif name == "DICT":
            pairs, hashable = dict_of_pairs(self.pop_mark(offset))
            if not hashable:
                self.anomaly("malformed", offset, UNHASHABLE_KEY)
            stack.append(pairs)
        elif name == "APPEND":
            value = self.pop(offset)
            append_items(stack[-1] if stack else None, [value])
        elif name == "APPENDS":
            items = self.pop_mark(offset)
            append_items(stack[-1] if stack else None, items)
        elif name == "SETITEM":
            value, key = self.pop(offset), self.pop(offset)
            pairs, hashable = dict_of_pairs([key, value])
            if not hashable:
                self.anomaly("malformed", offset, UNHASHABLE_KEY)
            set_items(stack[-1] if stack else None, pairs)
        elif name == "SETITEMS":
            pairs, hashable = dict_of_pairs(self.pop_mark(offset))  # pop first: the dict is below the mark
            if not hashable:
                self.anomaly("malformed", offset, UNHASHABLE_KEY)
            set_items(stack[-1] if stack else None, pairs)
        elif name == "ADDITEMS":
            self.check_items(offset, self.pop_mark(offset))
        elif name == "MEMOIZE":
            self.memo[len(self.memo)] = stack[-1] if stack else Opaque("missing")
        elif name == "GLOBAL":
            module, qualname = arg
            stack.append(self.global_ref(module, qualname, offset, "GLOBAL"))
        elif name == "STACK_GLOBAL":
            qualname, module = self.pop(offset), self.pop(offset)
            if isinstance(module, str) and isinstance(qualname, str):
                stack.append(self.global_ref(module, qualname, offset, "STACK_GLOBAL"))
            else:
                self.result.computed.append(
                    ComputedRef(offset, "STACK_GLOBAL", f"module={preview(module, 60)}, name={preview(qualname, 60)}")
                )
                stack.append(GlobalVal("?", "?", offset, computed=True))
        elif name in ("EXT1", "EXT2", "EXT4"):
            self.result.computed.append(
                ComputedRef(offset, name, f"extension code {arg} (resolved by the loading process's copyreg)")
            )
            stack.append(GlobalVal("?", f"ext{arg}", offset, computed=True))
        elif name == "REDUCE":
            args, func = self.pop(offset), self.pop(offset)
            stack.append(self.call(func, args, offset, "REDUCE"))
        elif name == "NEWOBJ":
            args, cls = self.pop(offset), self.pop(offset)
            stack.append(self.call(cls, args, offset, "NEWOBJ"))
        elif name == "NEWOBJ_EX":
            kwargs, args, cls = self.pop(offset), self.pop(offset), self.pop(offset)
            stack.append(self.call(cls, (args, kwargs), offset, "NEWOBJ_EX"))
        elif name == "OBJ":
            items = self.pop_mark(offset)
            if not items:
                self.anomaly("stack", offset, "OBJ without a class")
                stack.append(Opaque("missing"))
            else:
                stack.append(self.call(items[0], tuple(items[1:]), offset, "OBJ"))
        elif name == "INST":
            module, qualname = arg
            cls = self.global_ref(module, qualname, offset, "INST")
            stack.append(self.call(cls, tuple(self.pop_mark(offset)), offset, "INST"))
        elif name == "BUILD":
            state = self.pop(offset)
            target = stack[-1] if stack else None
            if isinstance(target, CallVal):
                target.state = state
                self.after_build(target, offset)
        elif name == "PERSID":
            stack.append(Opaque(f"persistent id {preview(arg, 40)}"))
        elif name == "BINPERSID":
            self.pop(offset)  # torch's storage id: its storage class was already seen as a GLOBAL
            stack.append(Opaque("persistent object"))
        elif name == "NEXT_BUFFER":
            stack.append(Opaque("out-of-band buffer"))
        elif name == "READONLY_BUFFER":
            pass
        else:  # pragma: no cover - every pickletools opcode is handled above
            self.anomaly("invalid-opcode", offset, f"unhandled opcode {name}")
        if len(stack) > 10_000_000:
            self.anomaly("limit", offset, "stack grew past 10 million items")
            raise StopWalk("stack limit")

    def check_items(self, offset: int, items: list[Any]) -> None:
        """Set items must be hashable: a list, dict or set there (the set itself, in a self-referential
        bomb) makes every unpickler raise, after running whatever came before."""
        if not UNHASHABLE.isdisjoint(map(type, items)):
            self.anomaly("malformed", offset, UNHASHABLE_KEY)

    def global_ref(self, module: str, qualname: str, offset: int, opcode: str) -> GlobalVal:
        self.result.globals.append(GlobalRef(module, qualname, offset, opcode))
        return GlobalVal(module, qualname, offset)

    def call(self, func: Any, args: Any, offset: int, opcode: str) -> CallVal:
        if isinstance(func, GlobalVal):
            label = func.qualified
        elif isinstance(func, CallVal):
            label = f"result of {func!r}"
        else:
            label = f"non-global {type(func).__name__}"
        if len(self.result.calls) < 100_000:
            self.result.calls.append(CallRef(label, offset, opcode, preview(args)))
        if isinstance(func, GlobalVal) and func.name in _NESTED_NAMES and not func.computed:
            self.nested_call(func, args, offset)
        return CallVal(func, args, offset)

    def nested_call(self, func: GlobalVal, args: Any, offset: int) -> None:
        module, name = normalise(func.module, func.name)
        entry = f"{module}.{name}"
        index = NESTED_LOADERS.get(entry)
        if index is None or len(self.result.nested) >= MAX_NESTED_REFS:
            return
        arg = args[index] if isinstance(args, tuple) and len(args) > index else None
        self.result.nested.append(embedded_bytes(arg, entry, offset))

    def after_build(self, obj: CallVal, offset: int) -> None:
        """joblib writes raw array bytes right after a NumpyArrayWrapper's BUILD: step over them."""
        func = obj.func
        if not (isinstance(func, GlobalVal) and func.qualified == "joblib.numpy_pickle.NumpyArrayWrapper"):
            return
        state = obj.state if isinstance(obj.state, dict) else {}
        dtype_text, has_object = joblib_dtype(state.get("dtype"))
        # joblib ends the current frame before writing array bytes (framer.commit_frame(force=True)).
        if self.frame_end is not None:
            if self.r.pos != self.frame_end:
                self.anomaly("frame", offset, "joblib array data starts inside a frame")
            self.frame_end = None
        if has_object:
            if self.depth >= MAX_NESTED_PICKLES:
                self.anomaly("limit", offset, "object arrays nested too deeply")
                raise StopWalk("nesting")
            nested = walk(self.r, self.result, self.max_ops, self.depth + 1)
            if nested is None:
                raise StopWalk("nested pickle broken")
            return
        shape = state.get("shape")
        itemsize = dtype_itemsize(dtype_text)
        if not isinstance(shape, tuple) or not all(isinstance(d, int) and d >= 0 for d in shape) or not itemsize:
            self.anomaly("joblib", offset, f"cannot size joblib array (dtype {dtype_text!r}, shape {preview(shape)})")
            raise StopWalk("joblib array")
        if "numpy_array_alignment_bytes" in state and state.get("numpy_array_alignment_bytes") is not None:
            self.r.skip(self.r.read(1)[0])
        self.r.skip(math.prod(shape) * itemsize)


# Every dotted tail of the loaders' names ("loads", "ConfigModule.load_config"): one set lookup per call.
_NESTED_NAMES = frozenset(".".join(q.split(".")[i:]) for q in NESTED_LOADERS for i in range(1, q.count(".") + 1))
MAX_NESTED_REFS = 1025  # one more than the walker analyses, so it can say some were left
# The result is sized as a tree only when its shape hints at fan-out (DUP, more memo reads than twice
# the entries: self-insertion reads the container back each time): a real checkpoint rarely pays for it.
_FANOUT_GETS = 8
_PUT_OPS = frozenset({"PUT", "BINPUT", "LONG_BINPUT"})
_GET_OPS = frozenset({"GET", "BINGET", "LONG_BINGET"})
_PUSH_ARG = frozenset(
    {
        "INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4", "FLOAT", "BINFLOAT", "STRING",
        "BINSTRING", "SHORT_BINSTRING", "BINBYTES", "SHORT_BINBYTES", "BINBYTES8", "BYTEARRAY8", "UNICODE",
        "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8",
    }
)  # fmt: skip


def walk(reader: Reader, result: PickleAnalysis, max_ops: int, depth: int) -> Any:
    """One pickle from the reader's position; None when it broke (the anomaly says why)."""
    machine = _Machine(reader, result, max_ops, depth)
    start = reader.pos
    try:
        value = machine.run()
    except Truncated:
        result.anomalies.append(Anomaly("truncated", reader.pos, f"stream ends before STOP (pickle began at {start})"))
        return None
    except StopWalk as stop:
        if not any(a.offset >= start for a in result.anomalies):
            result.anomalies.append(Anomaly("invalid-opcode", reader.pos, str(stop)))
        return None
    except (UnicodeDecodeError, struct.error, OverflowError, MemoryError, RecursionError) as exc:
        result.anomalies.append(Anomaly("invalid-opcode", reader.pos, f"undecodable argument ({type(exc).__name__})"))
        return None
    if machine.frame_end is not None and reader.pos < machine.frame_end:
        result.anomalies.append(
            Anomaly("frame", reader.pos, f"STOP before the end of the frame (frame ends at byte {machine.frame_end})")
        )
    result.memo_entries += len(machine.memo)
    result.gets += machine.gets
    if result.dups or result.gets > 2 * result.memo_entries + _FANOUT_GETS:
        size, cyclic, self_refs = expanded_size(value)
        result.expansion = max(result.expansion, size)
        result.cyclic = result.cyclic or cyclic
        result.self_refs += self_refs
    return value if value is not None else True
