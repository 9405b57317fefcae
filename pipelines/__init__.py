"""cityidx: the ledger, the warehouse built from it, and the reports and pages that read it."""

from pathlib import Path

# The project root: where indicators.yml, data/ and docs/ live (a light constant, so that light modules need
# not import the catalogue to find it).
ROOT = Path(__file__).resolve().parent.parent
