"""The closed vocabularies of the contract, as enums used everywhere in the code."""

from enum import StrEnum


class Status(StrEnum):
    """Outcome of one rule for one request."""

    PASS = "pass"
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"
    ERROR = "error"


class Verdict(StrEnum):
    """Outcome of one request over all rules."""

    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    UNKNOWN = "unknown"


class ControlException(StrEnum):
    """A platform decision that contradicts the verdict."""

    APPROVED_BUT_INELIGIBLE = "approved_but_ineligible"
    REJECTED_BUT_ELIGIBLE = "rejected_but_eligible"


class Action(StrEnum):
    JOIN = "join"
    QUIT = "quit"


class PaymentMode(StrEnum):
    PAY_ON_BEHALF = "pay_on_behalf"
    SELF_PAY = "self_pay"


class Decision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


class AccountSource(StrEnum):
    EXTERNAL = "external"
    INTERNAL = "internal"


class IdentityType(StrEnum):
    ENTERPRISE = "enterprise"
    PERSONAL = "personal"
    UNVERIFIED = "unverified"


class ChannelRole(StrEnum):
    DIRECT = "direct"
    AGENT = "agent"
    AGENT_CUSTOMER = "agent_customer"
    RESELLER = "reseller"
    RESELLER_CUSTOMER = "reseller_customer"
    DISTRIBUTOR_SUBCUSTOMER = "distributor_subcustomer"


class CustomerTier(StrEnum):
    KEY = "key"
    MID = "mid"
    LONG_TAIL = "long_tail"


class OrderType(StrEnum):
    PURCHASE = "purchase"
    RENEWAL = "renewal"
    UPGRADE = "upgrade"
    REFUND = "refund"


class OrderStatus(StrEnum):
    TO_BE_PAID = "to_be_paid"
    PROCESSING = "processing"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class VoucherStatus(StrEnum):
    VALID = "valid"
    USED_UP = "used_up"
    EXPIRED = "expired"
    INVALIDATED = "invalidated"


def values(enum: type[StrEnum]) -> list[str]:
    """The string values of an enum, in declaration order."""
    return [member.value for member in enum]
