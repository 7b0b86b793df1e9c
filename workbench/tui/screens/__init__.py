"""The workbench's screens: Builder, Runs and Compare (app modes), and modal dialogs."""
