import subprocess
import sys

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
