"""The sensitivity of every client field, in one place.

The access policy, masking and exports read these levels; a field missing
here is refused by the policy (default deny). The credit code, company name
and status are public because they are printed on the business licence and
published on 国家企业信用信息公示系统.
"""

from shoumi.vault.sensitivity import Sensitivity, registry

registry.declare(
    "clients.client",
    {
        "name": Sensitivity.PUBLIC,
        "uscc": Sensitivity.PUBLIC,
        "status": Sensitivity.PUBLIC,
        "registered_address": Sensitivity.INTERNAL,
        "department": Sensitivity.INTERNAL,
        "assigned_staff": Sensitivity.INTERNAL,
    },
)
registry.declare(
    "clients.person",
    {
        "role": Sensitivity.INTERNAL,
        "name": Sensitivity.INTERNAL,
        "resident_id": Sensitivity.SENSITIVE,
        "mobile": Sensitivity.SENSITIVE,
    },
)
registry.declare(
    "clients.bankaccount",
    {
        "bank_name": Sensitivity.INTERNAL,
        "account_kind": Sensitivity.INTERNAL,
        "account_number": Sensitivity.SENSITIVE,
    },
)
registry.declare(
    "clients.taxlogin",
    {
        "method": Sensitivity.INTERNAL,
        "delegated_staff": Sensitivity.INTERNAL,
        "username": Sensitivity.SENSITIVE,
        "password": Sensitivity.HIGHLY_SENSITIVE,
        "rotation_due_on": Sensitivity.INTERNAL,
    },
)
