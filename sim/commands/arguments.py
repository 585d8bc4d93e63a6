"""Argument parsing shared by the research commands (``pasim-validate``, ``-sensitivity``,
``-optimise``, ``-report``): the same one-line errors as ``pasim`` itself.

argparse prints its whole usage block and ``prog: error: ...`` on a bad option; a user then
has to find the one line that matters. ``CommandParser`` prints only that line,
``error: <option>: <what is wrong>; see <command> --help``, and exits with status 2. The
value types say what is allowed (``positive_int``: "an integer >= 1").
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import NoReturn

from sim.engine import kernel
from sim.errors import InputError


class CommandParser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` whose errors are one line naming the option."""

    def error(self, message: str) -> NoReturn:
        text = " ".join(message.split())
        text = re.sub(r"^argument ([^:]+): ", lambda m: f"{m.group(1).split('/')[-1]}: ", text)
        text = re.sub(r"^the following arguments are required: (.+)$", r"\1: required", text)
        self.exit(2, f"error: {text}; see {self.prog} --help\n")


def _integer(minimum: int):  # noqa: ANN202 - an argparse type
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"must be an integer >= {minimum} (got {text!r})") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum} (got {value})")
        return value

    parse.__name__ = f"integer >= {minimum}"
    return parse


#: an argparse type: an integer >= 1 (worker counts, trials, replicates ...)
positive_int = _integer(1)

#: an argparse type: an integer >= 0 (seeds)
non_negative_int = _integer(0)


def add_run_options(parser: argparse.ArgumentParser, default_out: Path | str,
                    seed_help: str) -> None:
    """``--jobs``, ``--seed`` and ``--out``: the options every research command shares."""
    parser.add_argument("--jobs", type=positive_int, default=os.cpu_count() or 1,
                        help="worker processes (default: all cores)")
    parser.add_argument("--seed", type=non_negative_int, default=1, help=seed_help)
    parser.add_argument("--out", type=Path, default=None,
                        help=f"output folder (default {default_out}/<time>)")


def quiet_libraries() -> None:
    """Hydra logs at INFO; keep per-step library chatter (Mesa, matplotlib) out of job logs."""
    for name in ("MESA", "mesa", "matplotlib", "PIL", "numba", "asyncio"):
        logging.getLogger(name).setLevel(logging.WARNING)


def key_values(argv: Sequence[str], own: Sequence[str], example: str
               ) -> tuple[dict[str, str], list[str]]:
    """``key=value`` arguments split into the command's ``own`` keys (the last value of
    each) and the rest, passed on as config overrides; anything else is a one-line error
    that shows ``example``."""
    mine: dict[str, str] = {}
    overrides: list[str] = []
    for arg in argv:
        key, sep, value = arg.partition("=")
        if not sep:
            raise InputError(f"{arg}: arguments are key=value overrides, e.g. {example}")
        if key in own:
            mine[key] = value
        else:
            overrides.append(arg)
    return mine, overrides


@contextlib.contextmanager
def one_line_errors() -> Iterator[None]:
    """Bad input inside the block: ``error: <key>: <what is allowed>`` and exit status 2,
    never a traceback."""
    try:
        kernel.backend()  # PASIM_KERNEL, checked before anything is written
        yield
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)


def exit_status(main_body: Callable[[], int | None]) -> int:
    """Run a command's body; its status, or 2 for bad input (reported in one line). For the
    commands whose ``main`` returns a status instead of exiting (tests call them)."""
    try:
        with one_line_errors():
            return int(main_body() or 0)
    except SystemExit as stop:  # --help, or a bad option already reported in one line
        return int(stop.code or 0)
