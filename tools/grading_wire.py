"""Plain data between the grader and a sandboxed submission (used by both sides).

The grader never unpickles or imports anything a submission made. Values cross
the pipe as JSON, one message per line, in this small vocabulary:

* ``None``, ``bool``, ``int``, finite ``float`` and ``str`` as themselves;
  ``{"$f": "nan"|"inf"|"-inf"}`` for the other floats;
* numpy scalars as the Python scalar they hold (so ``np.bool_`` arrives as
  ``bool`` and ``np.float64`` as ``float``);
* numeric numpy arrays as ``{"$nd": dtype, "shape": [...], "b64": bytes}``;
* ``{"$list": [...]}``, ``{"$tuple": [...]}``, ``{"$set": [...]}`` and
  ``{"$dict": [[key, value], ...]}``;
* a ``numpy.random.Generator`` as ``{"$rng": bit-generator name, "state": ...}``;
* an instance of a ``dreambook`` class as ``{"$obj": "module:Class", "state": ...}``
  (its attributes, encoded the same way);
* a module as ``{"$module": name}``;
* anything else the submission holds (its functions, its own objects) as a
  handle ``{"$ref": n}``: the grader can only ask the sandbox to call it, or to
  read an attribute or item of it, and gets plain data back.

Decoding is strict: a bounded depth, bounded sizes, only numeric dtypes, only
classes *defined* in ``dreambook`` rebuilt (by ``object.__new__`` and their
attributes, never by calling code of the submission; never a class merely
reachable from a dreambook module, such as numpy's ``DataSource`` whose
``__del__`` deletes a folder), and no module imported but dreambook's.
"""

from __future__ import annotations

import base64
import importlib
import json
import math
import sys

import numpy as np

MAX_DEPTH = 48
MAX_MESSAGE_BYTES = 64 * 2**20  # one line of the protocol
MAX_ARRAY_ELEMENTS = 4 * 2**20
_NUMERIC_KINDS = set("biufc")
# Modules a value may name (dreambook's are imported; the others only if the grader already
# imported them); any other module arrives as its name (a string).
TRUSTED_MODULES = ("numpy", "math", "dreambook", "scipy")


class WireError(ValueError):
    """A message that is not plain data of the vocabulary above."""


class Handle:
    """Base class of the grader's stand-ins for objects that stay in the sandbox."""

    _wire_ref: int = -1


def _under(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _dotted_name(name: str) -> bool:
    return bool(name) and all(part.isidentifier() for part in name.split("."))


def _import_dreambook(name: str):
    """The ``dreambook`` module ``name`` (imported if needed); :class:`WireError` for any other name."""
    if not _dotted_name(name) or not _under(name, "dreambook") or "__main__" in name.split("."):
        raise WireError(f"{name[:80]!r} is not a dreambook module")
    try:
        return importlib.import_module(name)
    except Exception as err:  # noqa: BLE001 - a name the reply made up: report it as bad data
        raise WireError(f"cannot import {name[:80]!r} ({type(err).__name__})") from None


def _module(name: str):
    """The module a ``$module`` tag names, or its name as a string.

    A reply must not make the grader import anything: ``dreambook`` modules are
    imported (the grader's own code), other trusted modules are returned only if
    the grader has already imported them (``numpy.f2py.__main__`` raises
    ``SystemExit`` when imported), and any other name stays a string.
    """
    if _dotted_name(name) and _under(name, "dreambook") and "__main__" not in name.split("."):
        return _import_dreambook(name)
    if any(_under(name, m) for m in TRUSTED_MODULES) and name in sys.modules:
        return sys.modules[name]
    return f"<module {name}>"


# Methods Python calls without being asked (collection, pickling, copying): a class defining
# any of them is not rebuilt from a reply. No dreambook class defines __del__ or __reduce__;
# the rule keeps it so.
_HOOKS = ("__del__", "__reduce__", "__reduce_ex__", "__setstate__", "__getstate__", "__new__",
          "__init_subclass__", "__class_getitem__", "__set_name__", "__getattr__", "__getattribute__",
          "__copy__", "__deepcopy__")


def _dreambook_class(name: str) -> type:
    """The class ``"module:Qualname"`` names, if it is DEFINED in dreambook; else :class:`WireError`.

    The class is found in its module's own namespace (and nested classes in
    their class's), never by a walk through the module's attributes (a
    dreambook module's ``np`` would reach every numpy class), and it must say
    it is that class: ``__module__`` and ``__qualname__`` are the ones named.
    Every class of its MRO but ``object`` is a dreambook class with a plain
    metaclass and none of the hooks above.
    """
    module, _, qualname = name.partition(":")
    if not _dotted_name(qualname):
        raise WireError(f"{name[:80]!r} does not name a dreambook class")
    cls = _import_dreambook(module)
    for part in qualname.split("."):
        cls = vars(cls).get(part)
        if not isinstance(cls, type):
            raise WireError(f"{name[:80]!r} does not name a dreambook class")
    if cls.__module__ != module or cls.__qualname__ != qualname:
        raise WireError(f"{name[:80]!r} is not a class defined in dreambook")
    for base in cls.__mro__:
        if base is object:
            continue
        if type(base) is not type or not _under(base.__module__, "dreambook"):
            raise WireError(f"{name[:80]!r} is not built from dreambook classes only")
        hooks = [hook for hook in _HOOKS if hook in vars(base)]
        if hooks:
            raise WireError(f"{name[:80]!r} defines {hooks[0]}: not rebuilt from a reply")
    return cls


def encode(obj, refs: list | None = None, depth: int = 0):
    """``obj`` as JSON-ready plain data; unknown objects become handles into ``refs``.

    With ``refs=None`` (the grader's side) an unknown object is an error.
    """
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    if isinstance(obj, Handle):
        return {"$ref": object.__getattribute__(obj, "_wire_ref")}
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        value = float(obj)
        if math.isfinite(value):
            return value
        return {"$f": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}
    if isinstance(obj, np.ndarray) and obj.dtype.kind in _NUMERIC_KINDS:
        data = np.ascontiguousarray(obj)
        return {"$nd": data.dtype.str, "shape": list(data.shape),
                "b64": base64.b64encode(data.tobytes()).decode("ascii")}
    if isinstance(obj, dict):
        return {"$dict": [[encode(k, refs, depth + 1), encode(v, refs, depth + 1)]
                          for k, v in obj.items()]}
    if isinstance(obj, list):
        return {"$list": [encode(v, refs, depth + 1) for v in obj]}
    if isinstance(obj, tuple):
        return {"$tuple": [encode(v, refs, depth + 1) for v in obj]}
    if isinstance(obj, (set, frozenset)):
        return {"$set": [encode(v, refs, depth + 1) for v in obj]}
    if isinstance(obj, np.random.Generator):
        bit = obj.bit_generator
        return {"$rng": type(bit).__name__, "state": encode(bit.state, refs, depth + 1)}
    if type(obj).__name__ == "module" and isinstance(getattr(obj, "__name__", None), str):
        return {"$module": obj.__name__}
    cls = type(obj)
    if (cls.__module__.split(".")[0] == "dreambook" and hasattr(obj, "__dict__")
            and not callable(obj)):
        return {"$obj": f"{cls.__module__}:{cls.__qualname__}",
                "state": encode(dict(vars(obj)), refs, depth + 1)}
    if refs is None:
        raise WireError(f"cannot send a {cls.__name__} to the sandbox")
    refs.append(obj)
    return {"$ref": len(refs) - 1}


def decode(data, make_ref=None, depth: int = 0):
    """The value that ``encode`` made ``data`` from; ``make_ref(n)`` turns a handle into a value."""
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    if data is None or isinstance(data, (bool, int, str)):
        return data
    if isinstance(data, float):
        return data
    if isinstance(data, list):
        raise WireError("a bare JSON list is not part of the vocabulary")
    if not isinstance(data, dict) or len(data) == 0:
        raise WireError(f"unexpected {type(data).__name__}")
    tag = next(iter(data))
    if tag == "$f":
        if data["$f"] not in ("nan", "inf", "-inf"):
            raise WireError("bad float")
        return float(data["$f"])
    if tag == "$nd":
        dtype = np.dtype(str(data["$nd"]))
        shape = data.get("shape")
        if dtype.kind not in _NUMERIC_KINDS or not isinstance(shape, list) \
                or not all(isinstance(s, int) and s >= 0 for s in shape) or len(shape) > 32:
            raise WireError("bad array")
        if math.prod(shape) > MAX_ARRAY_ELEMENTS:
            raise WireError("array too large")
        raw = base64.b64decode(str(data.get("b64", "")), validate=True)
        if len(raw) != math.prod(shape) * dtype.itemsize:
            raise WireError("array size does not match its shape")
        return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    items = data.get(tag)
    if tag in ("$list", "$tuple", "$set"):
        if not isinstance(items, list):
            raise WireError("bad sequence")
        values = [decode(v, make_ref, depth + 1) for v in items]
        if tag == "$list":
            return values
        if tag == "$tuple":
            return tuple(values)
        try:
            return set(values)
        except TypeError:
            raise WireError("unhashable set element") from None
    if tag == "$dict":
        if not isinstance(items, list) or not all(isinstance(p, list) and len(p) == 2 for p in items):
            raise WireError("bad dict")
        out = {}
        for key, value in items:
            key = decode(key, make_ref, depth + 1)
            try:
                out[key] = decode(value, make_ref, depth + 1)
            except TypeError:
                raise WireError("unhashable dict key") from None
        return out
    if tag == "$rng":
        name = str(data["$rng"])
        if name not in ("PCG64", "PCG64DXSM", "Philox", "SFC64", "MT19937"):
            raise WireError("unknown bit generator")
        bit = getattr(np.random, name)()
        state = decode(data.get("state"), None, depth + 1)
        try:
            bit.state = state
        except (TypeError, ValueError, KeyError) as err:
            raise WireError(f"bad generator state: {err}") from None
        return np.random.Generator(bit)
    if tag == "$module":
        return _module(str(data["$module"]))
    if tag == "$obj":
        cls = _dreambook_class(str(data["$obj"]))
        state = decode(data.get("state"), make_ref, depth + 1)
        if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
            raise WireError("bad object state")
        obj = object.__new__(cls)
        obj.__dict__.update(state)
        return obj
    if tag == "$ref":
        if make_ref is None or not isinstance(data["$ref"], int):
            raise WireError("unexpected handle")
        return make_ref(data["$ref"])
    raise WireError(f"unknown tag {tag!r}")


def dumps(message: dict) -> bytes:
    """One protocol line."""
    return json.dumps(message, allow_nan=False, separators=(",", ":")).encode() + b"\n"


def loads(line: bytes) -> dict:
    """Parse one protocol line (size-checked, depth-safe)."""
    if len(line) > MAX_MESSAGE_BYTES:
        raise WireError("message too large")
    try:
        message = json.loads(line)
    except (ValueError, RecursionError) as err:
        raise WireError(f"not JSON ({type(err).__name__})") from None
    if not isinstance(message, dict):
        raise WireError("a message must be a JSON object")
    return message


def sync(original, new):
    """Copy the state of ``new`` (decoded after a call) into ``original`` in place, where possible.

    A function of the submission may modify its arguments (``train(model, ...)``
    updates ``model``, a sampler advances ``rng``). The arguments went to the
    sandbox as copies; this brings the changes back to the grader's objects.
    """
    if isinstance(original, np.ndarray) and isinstance(new, np.ndarray):
        if original.shape == new.shape and original.flags.writeable:
            original[...] = new
        return original
    if isinstance(original, np.random.Generator) and isinstance(new, np.random.Generator):
        if type(original.bit_generator) is type(new.bit_generator):
            original.bit_generator.state = new.bit_generator.state
        return original
    if isinstance(original, dict) and isinstance(new, dict):
        for key in list(original):
            if key not in new:
                del original[key]
        for key, value in new.items():
            original[key] = sync(original[key], value) if key in original else value
        return original
    if isinstance(original, list) and isinstance(new, list):
        original[:] = [sync(a, b) for a, b in zip(original, new)] + new[len(original):]
        del original[len(new):]
        return original
    if (type(original) is type(new) and type(original).__module__.split(".")[0] == "dreambook"
            and hasattr(original, "__dict__")):
        for key, value in vars(new).items():
            try:
                if key in vars(original):
                    setattr(original, key, sync(getattr(original, key), value))
                else:
                    setattr(original, key, value)
            except AttributeError:  # a frozen dataclass (dataclasses.FrozenInstanceError): its
                pass                # arrays were synced in place; its fields cannot change
        return original
    return original
