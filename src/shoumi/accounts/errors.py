from shoumi.errors import ShoumiError


class AccountsError(ShoumiError):
    code = "accounts_error"


class EnrolmentInvalidError(AccountsError):
    """The enrolment link is unknown, used or expired (one message for all three)."""

    code = "enrolment_invalid"


class CredentialsInvalidError(AccountsError):
    """Wrong employee number or password; deliberately does not say which."""

    code = "credentials_invalid"


class TokenInvalidError(AccountsError):
    code = "otp_token_invalid"


class NotEnrolledError(AccountsError):
    code = "not_enrolled"


class LockedOutError(AccountsError):
    code = "locked_out"


class ResetApprovalRequiredError(AccountsError):
    """A new enrolment link for this account needs the security administrator's approval first."""

    code = "reset_approval_required"
