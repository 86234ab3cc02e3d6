"""Domain errors: each has a stable code and the HTTP status it maps to.

Messages never contain the client's answers or identity (SPEC §5: no PHI in errors).
"""

from __future__ import annotations

from collections.abc import Sequence


class EligibilityError(Exception):
    """Base of every error the eligibility service reports to its caller."""

    code = "ELIGIBILITY_ERROR"
    http_status = 400
    message = "request refused"

    def __init__(self, message: str | None = None, problems: Sequence[dict[str, str]] = ()) -> None:
        self.message = message or type(self).message
        self.problems = list(problems)
        super().__init__(self.message)


class InvalidSsnError(EligibilityError):
    """The SSN is not one the SSA issues (never echoed back)."""

    code = "SSN_INVALID"
    http_status = 422
    message = "ssn is not a valid social security number"


class ClientNotFoundError(EligibilityError):
    """No client with this id."""

    code = "CLIENT_NOT_FOUND"
    http_status = 404
    message = "client not found"


class ProviderNotFoundError(EligibilityError):
    """No provider with this id."""

    code = "PROVIDER_NOT_FOUND"
    http_status = 404
    message = "provider not found"


class GpraInvalidError(EligibilityError):
    """A GPRA interview breaks an item rule of seed 003 App. C §5a."""

    code = "GPRA_INVALID"
    http_status = 422
    message = "gpra interview answers are inconsistent"


class DeterminationInconsistentError(EligibilityError):
    """An eligible outcome contradicts its own inputs."""

    code = "DETERMINATION_INCONSISTENT"
    http_status = 422
    message = "eligibility outcome contradicts its inputs"


class FutureDateError(EligibilityError):
    """A fact dated after today."""

    code = "FUTURE_DATE"
    http_status = 422
    message = "date is in the future"


class ClientNotEligibleError(EligibilityError):
    """Assessment needs an eligible determination first (seed 003 App. E §4)."""

    code = "CLIENT_NOT_ELIGIBLE"
    http_status = 409
    message = "the client has no eligible determination on record"


class NotYourProviderError(EligibilityError):
    """A provider token may act only for its own provider (SPEC §4)."""

    code = "PROVIDER_MISMATCH"
    http_status = 403
    message = "a provider may act only for itself"


class ConsentRequiredError(EligibilityError):
    """No consent on record for this provider (42 CFR Part 2)."""

    code = "CONSENT_REQUIRED"
    http_status = 403
    message = "no consent to disclose to this provider is on record"


class AssessmentNotFoundError(EligibilityError):
    """The client has not been assessed."""

    code = "ASSESSMENT_NOT_FOUND"
    http_status = 404
    message = "no assessment on record"


class ConsentNotFoundError(EligibilityError):
    """No such consent for this client."""

    code = "CONSENT_NOT_FOUND"
    http_status = 404
    message = "consent not found"


class AssessmentVoucherNotValidError(EligibilityError):
    """No 30-day assessment voucher covers the assessment date (seed 003 App. E §4
    "30-day vouchers for an assessment"): assessed before the eligible determination or
    after its voucher's 30 days."""

    code = "ASSESSMENT_VOUCHER_NOT_VALID"
    http_status = 409
    message = "no 30-day assessment voucher of the client covers the assessment date"


class ChoiceNoticeInvalidError(EligibilityError):
    """The notice of the right to choose is dated after the assessment (seed 003 App. E
    §3: given with the assessment voucher, before the assessment)."""

    code = "CHOICE_NOTICE_INVALID"
    http_status = 422
    message = "the choice notice must be given on or before the assessment date"


class UnknownCredentialError(EligibilityError):
    """A staff credential the active program's catalog does not know: no qualification
    rule could ever count it (seed 002 qualifications; ``GET /v1/program`` lists them)."""

    code = "CREDENTIAL_UNKNOWN"
    http_status = 422
    message = "a credential is not one the active program knows"


class UnknownExperienceAreaError(EligibilityError):
    """Experience recorded with something the active program's qualification rules never
    count: neither a target population they name nor one of its services (seed 002
    Qualifications §3b "experience with the target population", §3e "providing the
    recovery support service"), so a typo cannot leave the months silently uncounted."""

    code = "EXPERIENCE_AREA_UNKNOWN"
    http_status = 422
    message = "an experience area is neither a target population nor a service of the program"
