"""``python -m fidelity`` runs the command-line interface."""

from fidelity.cli import main

main()
