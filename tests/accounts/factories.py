"""Factories for staff accounts (synthetic people only)."""

from __future__ import annotations

from dataclasses import dataclass

import factory
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from faker import Faker

from shoumi.accounts.models import Department, RoleAssignment, User

fake = Faker("zh_CN")

DEFAULT_PASSWORD = "Lan-hua-qiu-yue-2049"


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda number: f"记账{number}部")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    employee_number = factory.Sequence(lambda number: f"E{number:05d}")
    full_name = factory.LazyFunction(fake.name)
    department = factory.SubFactory(DepartmentFactory)
    must_change_password = False

    @factory.post_generation
    def password(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        self.set_password(extracted or DEFAULT_PASSWORD)
        if create:
            self.save(update_fields=["password"])

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        if create and extracted:
            for role in extracted:
                RoleAssignment.objects.create(user=self, role=role)
            self.forget_roles()


@dataclass
class EnrolledStaff:
    """A staff member with a confirmed TOTP device, and the means to produce codes."""

    user: User
    password: str
    device: TOTPDevice

    def code(self, *, step_offset: int = 0) -> str:
        """Return the TOTP code of the current time step (or a neighbouring one)."""
        totp = TOTP(
            self.device.bin_key,
            self.device.step,
            self.device.t0,
            self.device.digits,
            self.device.drift,
        )
        totp.time = totp.time + step_offset * self.device.step
        return f"{totp.token():0{self.device.digits}d}"


def enrolled_staff(
    *, roles: list[str], password: str = DEFAULT_PASSWORD, **fields: object
) -> EnrolledStaff:
    user = UserFactory(roles=roles, password=password, **fields)
    device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    return EnrolledStaff(user=user, password=password, device=device)
