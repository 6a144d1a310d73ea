"""Pure rules of the funds service: programs, amounts, budgets, grants, ledger, ISO 20022 files."""
