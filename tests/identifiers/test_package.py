import dataclasses
import pickle
import subprocess
import sys

import pytest

import shoumi.identifiers


def test_package_imports_no_django():
    code = (
        "import sys, shoumi.identifiers; "
        "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))"
    )

    result = subprocess.run(  # noqa: S603 - runs this interpreter on a fixed string
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "[]"


def test_every_exported_name_exists():
    missing = [name for name in shoumi.identifiers.__all__ if not hasattr(shoumi.identifiers, name)]

    assert missing == []


def test_brief_api_is_exported():
    names = {
        "InvalidIdentifier", "Kind", "MaskLevel", "normalise", "parse_resident_id",
        "parse_foreign_permanent_residence_id", "parse_uscc", "parse_org_code",
        "parse_registration_number", "parse_bank_card", "parse_bank_account", "parse_mobile",
        "parse_landline", "parse_passport", "parse", "identify", "mask", "mask_name",
        "mask_address", "is_valid_resident_id", "is_valid_uscc", "is_valid_bank_card",
        "is_valid_mobile",
    }  # fmt: skip

    assert names <= set(shoumi.identifiers.__all__)


def test_value_objects_are_frozen():
    parsed = shoumi.identifiers.parse_mobile("13800138000")

    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.value = "13900139000"  # type: ignore[misc]


def test_value_objects_survive_pickle():
    parsed = shoumi.identifiers.parse_resident_id("320106201008080")

    restored = pickle.loads(pickle.dumps(parsed))  # noqa: S301 - data this test made

    assert restored == parsed
    assert restored.warnings[0].could_be_truncated_18 is True
    assert hash(restored) == hash(parsed)
