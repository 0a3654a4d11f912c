"""Stateful HTTP emulators of services that cannot run on the test machines (see DESIGN.md, Tests)."""
