"""Bulk reconciliation (đối soát dữ liệu hàng loạt, Directive 18/CT-TTg): connected systems' files matched against
the registry with a deterministic stage and Splink (DuckDB on one machine, Spark for the national run)."""
