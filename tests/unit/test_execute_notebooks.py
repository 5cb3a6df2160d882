"""tools/execute_notebooks.py stores a cell's printed text as one output per uninterrupted run."""

import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
from execute_notebooks import merge_adjacent_streams  # noqa: E402


def _stream(name, text):
    return nbformat.v4.new_output("stream", name=name, text=text)


def test_adjacent_streams_of_one_name_are_joined_and_nothing_moves():
    figure = nbformat.v4.new_output("display_data", data={"text/plain": "<figure>"})
    outputs = [_stream("stdout", "a\n"), _stream("stdout", ["b", "\n"]), figure,
               _stream("stdout", "c\n"), _stream("stderr", "w\n"), _stream("stdout", "d\n")]
    merged = merge_adjacent_streams(outputs)
    assert [(o.output_type, o.get("name"), o.get("text")) for o in merged] == [
        ("stream", "stdout", "a\nb\n"), ("display_data", None, None), ("stream", "stdout", "c\n"),
        ("stream", "stderr", "w\n"), ("stream", "stdout", "d\n")]
    assert merge_adjacent_streams([]) == []
