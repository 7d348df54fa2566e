"""Executes one Jupyter notebook headless and saves the executed copy.

Why not nbclient or nbconvert: the Deno kernel can send a cell's output just
after it reports the cell finished (status "idle"), and those tools stop
reading at "idle", so such output is lost. This executor keeps reading the
kernel's broadcast channel after "idle" until it has been quiet for a grace
period, and files every message under the cell whose request it answers.

Usage (run by notebooks/run.ts, with Debian's /usr/bin/python3):

    python3 execute.py --kernel NAME --out OUT.ipynb [--timeout S]
                       [--grace S] IN.ipynb

Prints one JSON line: {"seconds", "cells": [{"index", "seconds"}],
"error": null | {"cell", "ename", "evalue"}}. Exits 0 when every cell ran
without an error output, 1 when one failed (later cells are not run), 2 when
the kernel could not be started or a cell timed out.
"""

import argparse
import json
import os
import queue
import sys
import time

import nbformat
from jupyter_client.manager import KernelManager


def output_from_message(msg):
    """A notebook output for an iopub message, or None for other messages."""
    kind = msg["header"]["msg_type"]
    content = msg["content"]
    if kind == "stream":
        return nbformat.v4.new_output(
            "stream", name=content["name"], text=content["text"]
        )
    if kind in ("display_data", "execute_result"):
        extra = {}
        if kind == "execute_result":
            extra["execution_count"] = content.get("execution_count")
        return nbformat.v4.new_output(
            kind,
            data=content.get("data", {}),
            metadata=content.get("metadata", {}),
            **extra,
        )
    if kind == "error":
        return nbformat.v4.new_output(
            "error",
            ename=content.get("ename", ""),
            evalue=content.get("evalue", ""),
            traceback=content.get("traceback", []),
        )
    return None


class Executor:
    def __init__(self, kernel_name, cwd, timeout, grace):
        self.timeout = timeout
        self.grace = grace
        self.manager = KernelManager(kernel_name=kernel_name)
        self.manager.start_kernel(cwd=cwd)
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=120)
        # msg_id of each request -> the cell it ran.
        self.cells = {}
        # display_id -> [(cell, output index)], for update_display_data.
        self.displays = {}
        self.waiting_clear = set()

    def close(self):
        try:
            self.client.stop_channels()
        finally:
            self.manager.shutdown_kernel(now=True)

    def route(self, msg):
        """Files one iopub message under its cell. Returns its type."""
        kind = msg["header"]["msg_type"]
        parent = msg.get("parent_header", {}).get("msg_id")
        cell = self.cells.get(parent)
        if kind == "update_display_data":
            display_id = msg["content"].get("transient", {}).get("display_id")
            for target, index in self.displays.get(display_id, []):
                target.outputs[index]["data"] = msg["content"].get("data", {})
                target.outputs[index]["metadata"] = msg["content"].get(
                    "metadata", {}
                )
            return kind
        if cell is None:
            return kind
        if kind == "clear_output":
            if msg["content"].get("wait"):
                self.waiting_clear.add(id(cell))
            else:
                cell.outputs = []
            return kind
        output = output_from_message(msg)
        if output is None:
            return kind
        if id(cell) in self.waiting_clear:
            self.waiting_clear.discard(id(cell))
            cell.outputs = []
        cell.outputs.append(output)
        display_id = msg["content"].get("transient", {}).get("display_id")
        if display_id is not None:
            self.displays.setdefault(display_id, []).append(
                (cell, len(cell.outputs) - 1)
            )
        return kind

    def run_cell(self, cell):
        """Runs one code cell; returns the execute_reply's content."""
        cell.outputs = []
        msg_id = self.client.execute(
            cell.source, store_history=True, allow_stdin=False,
            stop_on_error=True,
        )
        self.cells[msg_id] = cell
        deadline = time.monotonic() + self.timeout
        idle = False
        while True:
            wait = self.grace if idle else deadline - time.monotonic()
            if wait <= 0:
                raise TimeoutError(f"cell ran longer than {self.timeout} s")
            try:
                msg = self.client.get_iopub_msg(timeout=wait)
            except queue.Empty:
                if idle:
                    break
                raise TimeoutError(f"cell ran longer than {self.timeout} s")
            kind = self.route(msg)
            parent = msg.get("parent_header", {}).get("msg_id")
            if (kind == "status" and parent == msg_id
                    and msg["content"]["execution_state"] == "idle"):
                idle = True
        while True:
            reply = self.client.get_shell_msg(timeout=self.timeout)
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                break
        cell.execution_count = reply["content"].get("execution_count")
        return reply["content"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook")
    parser.add_argument("--kernel", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--grace", type=float, default=0.5)
    args = parser.parse_args()

    notebook = nbformat.read(args.notebook, as_version=4)
    for number, cell in enumerate(notebook.cells):
        cell.setdefault("id", f"cell-{number}")
        if cell.cell_type == "code":
            cell.setdefault("outputs", [])
            cell.setdefault("execution_count", None)
    cwd = os.path.dirname(os.path.abspath(args.notebook))
    started = time.monotonic()
    summary = {"seconds": 0, "cells": [], "error": None}
    status = 0
    try:
        executor = Executor(args.kernel, cwd, args.timeout, args.grace)
    except Exception as error:  # noqa: BLE001 - reported, not hidden
        summary["error"] = {
            "cell": None, "ename": type(error).__name__, "evalue": str(error),
        }
        print(json.dumps(summary))
        return 2
    try:
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code":
                continue
            begin = time.monotonic()
            try:
                reply = executor.run_cell(cell)
            except TimeoutError as error:
                summary["error"] = {
                    "cell": index, "ename": "Timeout", "evalue": str(error),
                }
                status = 2
                break
            seconds = round(time.monotonic() - begin, 3)
            summary["cells"].append({"index": index, "seconds": seconds})
            cell.metadata["seconds"] = seconds
            errors = [o for o in cell.outputs if o.output_type == "error"]
            if reply.get("status") == "error" or errors:
                first = errors[0] if errors else reply
                summary["error"] = {
                    "cell": index,
                    "ename": first.get("ename", "Error"),
                    "evalue": first.get("evalue", ""),
                }
                status = 1
                break
    finally:
        executor.close()
        summary["seconds"] = round(time.monotonic() - started, 3)
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        nbformat.write(notebook, args.out)
    print(json.dumps(summary))
    return status


if __name__ == "__main__":
    sys.exit(main())
