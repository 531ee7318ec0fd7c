"""Every closed vocabulary of auditkit, as enums, and the integer codes the engine stores.

The contract's enums come first, then auditkit's own (what a rule reads, how a
report run ended, how a request changed between two judgements, the explorer's
environment variables). Code compares against these members, never against
bare strings or bare integers.
"""

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
    """What a request asks: join switches pay-on-behalf on, quit switches it off."""

    JOIN = "join"
    QUIT = "quit"


class PaymentMode(StrEnum):
    """The payment mode chosen at join, or held when quitting."""

    PAY_ON_BEHALF = "pay_on_behalf"
    SELF_PAY = "self_pay"


class Decision(StrEnum):
    """What the platform decided."""

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


# ---- auditkit's own vocabularies ---------------------------------------------------


class Moment(StrEnum):
    """When a request is judged (contract v1.1 section 4)."""

    SNAPSHOT = "snapshot"  # against the tables as they stand at as_of
    REQUESTED = "requested"  # against the state recorded at the request's requested_at


class Role(StrEnum):
    """The two accounts of a request whose attributes the rules compare."""

    MEMBER = "member"
    ADMIN = "admin"


class Reads(StrEnum):
    """What a rule needs; a missing member or admin account makes the rule `error`."""

    MEMBER = "member"
    ADMIN = "admin"
    ORDERS = "orders"
    VOUCHERS = "vouchers"
    REQUEST = "request"


class Kind(StrEnum):
    """The kind of value a contract column holds."""

    UIN = "uin"
    ID = "id"
    CODE = "code"
    TEXT = "text"
    ENUM = "enum"
    INTEGER = "integer"
    MONEY = "money"
    BOOL = "bool"
    TIMESTAMP = "timestamp"


class CheckKind(StrEnum):
    """What a contract check tests (`auditkit.contract.Check`); each backend runs every kind."""

    COLUMN = "column"  # the column is in the file
    REQUIRED = "required"  # a value in every row
    VALUE = "value"  # a value of the column's Kind (uin, id, money, timestamp, ...)
    ONE_OF = "one_of"  # one of the enum's words
    PRECISION = "precision"  # a timestamp to the microsecond at most
    NON_NEGATIVE = "non_negative"  # an amount >= 0.00
    UNIQUE = "unique"  # each value once
    REQUIRED_WHEN = "required_when"  # a value when another column holds a given word
    EMPTY_WHEN = "empty_when"  # no value when another column holds a given word
    EMPTY_UNLESS = "empty_unless"  # no value unless another column holds a given word
    UNIQUE_PAIR = "unique_pair"  # each (key, moment) pair once


class DecisionCodeCheck(StrEnum):
    """Whether the platform's stated reason for a refusal is borne out (contract v1.1 section 6)."""

    SUPPORTED = "supported"  # a rule the code stands for fails
    UNSUPPORTED = "unsupported"  # none of the code's rules fails
    UNMAPPED = "unmapped"  # the catalogue does not know the code


class RunStatus(StrEnum):
    """How a report run stands; recorded as `status` in its manifest."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Change(StrEnum):
    """How one request moved between two judgements (two periods, or baseline and what-if)."""

    NEWLY_INELIGIBLE = "newly ineligible"
    RESOLVED = "resolved"
    STILL_INELIGIBLE = "still ineligible"
    OTHER = "other verdict change"
    UNCHANGED = "unchanged"
    NEW = "new"
    GONE = "no longer present"


class FailureChange(StrEnum):
    """How one (request, rule) failure moved between two judgements."""

    GAINED = "gained"
    LOST = "lost"


class VoucherAction(StrEnum):
    """What a what-if scenario does to a usable voucher."""

    USE_UP = "use_up"
    VOID = "void"


class ReviewState(StrEnum):
    """What a reviewer concluded about a finding (a failing or erroring rule of a request).

    `WAIVER_EXPIRED` is never set: it is how a waiver whose `expires` is before
    a run's as_of is shown, and such a finding counts as open.
    """

    OPEN = "open"
    UNDER_REVIEW = "under_review"
    CONFIRMED = "confirmed"
    FALSE_POSITIVE = "false_positive"
    WAIVED = "waived"
    REMEDIATED = "remediated"
    WAIVER_EXPIRED = "waiver_expired"


class SignoffRole(StrEnum):
    """Who signs a period's report off: the one who prepared it, then the one who reviewed it."""

    PREPARER = "preparer"
    REVIEWER = "reviewer"


class ReviewVia(StrEnum):
    """Through which front end a review state was set; recorded in the history."""

    CLI = "cli"
    IMPORT = "import"
    EXPLORER = "explorer"


class Remediation(StrEnum):
    """How far management's fix of a finding has come (reported by its owner).

    A finding is closed by its review state, not by this: an auditor who has
    verified the fix sets it `remediated`.
    """

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    IMPLEMENTED = "implemented"  # management says it is done; awaits the auditor's verification


class EnvVar(StrEnum):
    """Environment variables: how `auditkit explore` configures the explorer's kernel, who
    reviews, and extra fsspec options for data kept at a URL."""

    DATA = "AUDITKIT_EXPLORE_DATA"
    AS_OF = "AUDITKIT_EXPLORE_AS_OF"
    AT = "AUDITKIT_EXPLORE_AT"
    EXPORTS = "AUDITKIT_EXPLORE_EXPORTS"
    DEMO_REQUESTS = "AUDITKIT_EXPLORE_DEMO_REQUESTS"
    REVIEW_DB = "AUDITKIT_EXPLORE_DB"
    USER = "AUDITKIT_USER"
    CACHE = "AUDITKIT_EXPLORE_CACHE"  # the evaluation cache's folder
    PARAMS = "AUDITKIT_EXPLORE_PARAMS"  # a JSON file of rule parameters (--params)
    SCENARIOS = "AUDITKIT_EXPLORE_SCENARIOS"  # the JSON file of saved scenarios (without --db)
    EXPORTS_URL = "AUDITKIT_EXPLORE_EXPORTS_URL"  # where the server hands exports out
    STORAGE_OPTIONS = "AUDITKIT_STORAGE_OPTIONS"
    KERNEL_SECRET = "AUDITKIT_EXPLORE_KERNEL_SECRET"  # a kernel asks for its page's request with it
    EXPORT_FILES = "AUDITKIT_EXPLORE_EXPORT_FILES"  # exports one session may write
    EXPORT_BYTES = "AUDITKIT_EXPLORE_EXPORT_BYTES"  # bytes of exports one session may write
    PROXY_SECRET = "AUDITKIT_EXPLORE_PROXY_SECRET"  # read by `auditkit explore`, then removed
    DECISION_CODES = "AUDITKIT_EXPLORE_DECISION_CODES"  # a JSON file replacing the code map
    # The reviewer who opened the page, as Voilà names the request header it forwards.
    REVIEWER = "HTTP_X_AUDITKIT_REVIEWER"


class Engine(StrEnum):
    """What runs `auditkit check`: pandas in this process, or Dask over a cluster's workers."""

    PANDAS = "pandas"
    DASK = "dask"


def values(enum: type[StrEnum]) -> list[str]:
    """The string values of an enum, in declaration order."""
    return [member.value for member in enum]


# The engine stores statuses and verdicts as small integers: the position in these tuples.
STATUSES: tuple[Status, ...] = tuple(Status)
STATUS_CODE: dict[Status, int] = {status: code for code, status in enumerate(STATUSES)}
VERDICTS: tuple[Verdict, ...] = tuple(Verdict)
VERDICT_CODE: dict[Verdict, int] = {verdict: code for code, verdict in enumerate(VERDICTS)}
# States a reviewer may set (every ReviewState but the shown-only WAIVER_EXPIRED).
SETTABLE_STATES: tuple[ReviewState, ...] = tuple(
    state for state in ReviewState if state is not ReviewState.WAIVER_EXPIRED
)
