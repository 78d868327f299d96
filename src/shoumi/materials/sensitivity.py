"""The sensitivity of the paper-materials fields that hold personal data."""

from shoumi.vault.sensitivity import Sensitivity, registry

registry.declare(
    "materials.intake",
    {
        "handed_over_by": Sensitivity.INTERNAL,
        "signature": Sensitivity.SENSITIVE,
    },
)
