"""Bulk import of households from CSV/XLSX files, run as a job with progress and row errors."""
