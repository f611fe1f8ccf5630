from __future__ import annotations

import pytest

from dancu.cards import pki


@pytest.fixture
def pki_dirs(settings, tmp_path):
    """A CSCA, key files and a publication directory of the test's own (created on first use)."""
    settings.DANCU_KEYS_DIR = str(tmp_path / "keys")
    settings.DANCU_CSCA_DIR = str(tmp_path / "keys" / "csca")
    settings.DANCU_PKI_PUBLIC_DIR = str(tmp_path / "pki")
    pki._authorities.cache_clear()
    yield tmp_path
    pki._authorities.cache_clear()
