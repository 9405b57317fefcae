"""The ledger, `data/raw/`: the only code that writes it (uploads, forum events, fetched snapshots), one lock."""
