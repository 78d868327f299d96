from __future__ import annotations

import pytest

from tests.materials.factories import Office, make_office


@pytest.fixture
def office(db: None) -> Office:
    return make_office()
