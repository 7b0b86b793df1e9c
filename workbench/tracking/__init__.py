"""Experiment tracking behind a small interface; Aim is the first implementation."""

from workbench.tracking.base import NullTracker, Tracker

__all__ = ["NullTracker", "Tracker"]
