"""The workers' root logger stays at its handlers' level (Faust's spinner would set it to DEBUG)."""

from __future__ import annotations

import logging

from indicators_core.faust_worker import restore_root_level


class SpinnerHandler(logging.Handler):
    """Named as Faust's terminal spinner handler, which takes every record (DEBUG) to turn the spinner."""


def test_the_root_logger_goes_back_to_the_level_its_handlers_print():
    root = logging.Logger("root-under-test")
    printing = logging.StreamHandler()
    printing.setLevel(logging.WARNING)
    root.addHandler(printing)
    root.addHandler(SpinnerHandler(level=logging.DEBUG))
    root.setLevel(logging.DEBUG)  # what faust.Worker._setup_spinner_handler does at --loglevel warn
    assert restore_root_level(root) == logging.WARNING
    assert root.getEffectiveLevel() == logging.WARNING  # a debug call no longer builds a record


def test_a_root_logger_already_at_its_level_is_left_alone():
    root = logging.Logger("root-at-info")
    handler = logging.StreamHandler()
    handler.setLevel(logging.WARNING)
    root.addHandler(handler)
    root.setLevel(logging.ERROR)
    assert restore_root_level(root) == logging.ERROR
