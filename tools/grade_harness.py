"""Runs INSIDE the sandbox (tools/sandbox.py): executes one submission, then answers the grader.

    python grade_harness.py REQUEST_FD REPLY_FD

The first request carries the notebook (already read and checked by the
grader). Its code cells run in order, in one IPython shell, each error
recorded and execution going on. Then the grader asks for names, calls and
attributes (tools/grading_wire.py) and this process answers with plain data.
It decides nothing: the grader runs the tests and computes the score in its
own process. Whatever this process (or the student code in it) writes to the
reply pipe is only ever read as data.
"""

from __future__ import annotations

import os
import sys
import traceback


def main() -> int:
    request_fd, reply_fd = int(sys.argv[1]), int(sys.argv[2])
    requests = os.fdopen(request_fd, "rb", buffering=0)
    replies = os.fdopen(reply_fd, "wb", buffering=0)
    # The student code gets no stdin.
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import grading_wire as wire

    def read_line() -> bytes:
        chunks = []
        while True:
            chunk = requests.readline(wire.MAX_MESSAGE_BYTES + 1)
            if not chunk:
                raise SystemExit(0)
            chunks.append(chunk)
            if chunk.endswith(b"\n"):
                return b"".join(chunks)

    def send(message: dict) -> None:
        replies.write(wire.dumps(message))

    first = wire.loads(read_line())
    notebook_name = first["name"]
    cells = first["cells"]  # [[position, source], ...] of the code cells
    with open(notebook_name, "w", encoding="utf-8") as handle:
        handle.write(first["notebook"])

    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.display_pub.publish = lambda *a, **k: None  # rich output is not needed to grade
    errors = []
    for position, source in cells:
        result = shell.run_cell(source, store_history=False, silent=False)
        err = result.error_before_exec or result.error_in_exec
        if err is not None:
            errors.append({"cell": position, "ename": type(err).__name__,
                           "evalue": " ".join(str(err).split())[:200]})
    sys.stdout.flush()
    namespace = shell.user_ns
    refs: list = []
    callbacks: dict = {}

    def make_ref(n):
        if not 0 <= n < len(refs):
            raise wire.WireError("unknown handle")
        return refs[n]

    def encode_reply(value):
        return wire.encode(value, refs)

    def reference_stub(name):
        def stub(*args, **kwargs):
            send({"callback": name, "args": encode_reply(list(args)),
                  "kwargs": encode_reply(dict(kwargs))})
            answer = wire.loads(read_line())
            if "raised" in answer:
                raise RuntimeError(f"the reference {name} raised {answer['raised']}")
            for original, new in zip(args, wire.decode(answer.get("args", {"$list": []}), make_ref)):
                wire.sync(original, new)
            for key, new in wire.decode(answer.get("kwargs", {"$dict": []}), make_ref).items():
                if key in kwargs:
                    wire.sync(kwargs[key], new)
            return wire.decode(answer["ok"], make_ref)
        stub.__name__ = name
        return stub

    send({"ready": True, "errors": errors})
    while True:
        request = wire.loads(read_line())
        op = request.get("op")
        try:
            if op == "get":
                name = request["name"]
                if name not in namespace or name.startswith("_"):
                    send({"missing": True})
                    continue
                value = namespace[name]
                send({"ok": encode_reply(value)})
            elif op == "call":
                target = make_ref(request["ref"])
                args = wire.decode(request["args"], make_ref)
                kwargs = wire.decode(request["kwargs"], make_ref)
                saved = {}
                for name in request.get("substitute", []):
                    saved[name] = namespace.get(name, callbacks)
                    namespace[name] = reference_stub(name)
                try:
                    value = target(*args, **kwargs)
                finally:
                    for name, old in saved.items():
                        if old is callbacks:
                            namespace.pop(name, None)
                        else:
                            namespace[name] = old
                send({"ok": encode_reply(value), "args": encode_reply(args),
                      "kwargs": encode_reply(kwargs)})
            elif op == "getattr":
                send({"ok": encode_reply(getattr(make_ref(request["ref"]), request["name"]))})
            elif op == "getitem":
                target = make_ref(request["ref"])
                send({"ok": encode_reply(target[wire.decode(request["key"], make_ref)])})
            elif op == "len":
                send({"ok": len(make_ref(request["ref"]))})
            elif op == "iter":
                send({"ok": encode_reply(list(make_ref(request["ref"])))})
            else:
                send({"raised": "ValueError", "message": f"unknown op {op!r}"})
        except Exception as err:  # noqa: BLE001 - the student's exception, reported as data
            try:
                tb = traceback.format_exception_only(type(err), err)[-1].strip()
            except Exception:  # noqa: BLE001
                tb = type(err).__name__
            send({"raised": type(err).__name__, "message": tb[:300]})


if __name__ == "__main__":
    sys.exit(main())
