"""Health-insurance check-in by ID card (Official letter 931/BYT-BH, 2022): the card's printed QR payload, the
social-insurance result codes (DOMAIN.md §12) and what the receptionist does next. Plain Python: the gateway and the
front-desk page share it.

The printed QR on a chip card carries ``PIN|old 9-digit ID|full name|DDMMYYYY birth|sex|permanent address|DDMMYYYY
issue``; sex is written "Nam" or "Nữ".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dancu.core.errors import DomainError, gettext_noop
from dancu.core.pin import parse_pin

#: Result codes of the social-insurance look-up that hospital software already handles (DOMAIN.md §12).
VALID = "000"
EXPIRED = "010"
NO_CARD = "050"
STAFF_NOT_REGISTERED = "054"
STAFF_NAME_MISMATCH = "055"
NAME_MISMATCH = "060"
NAME_DIACRITICS = "061"
BIRTH_DATE_MISMATCH = "070"
SEX_MISMATCH = "080"
OTHER_FACILITY = "090"
REVOKED = "110"
ENDED = "120"
SUSPENDED = "121"
CHILD_WITHOUT_CARD = "130"

#: Codes with which the patient is admitted on health insurance (at the registered facility or not).
ADMITTED = frozenset({VALID, OTHER_FACILITY})

#: What each code means and what the receptionist does next: (Vietnamese, English). The English text is the
#: catalogue's msgid (the front-desk page translates it); the gateway answers both.
RESULTS: dict[str, tuple[str, str]] = {
    VALID: (
        "Thẻ còn giá trị. Tiếp nhận khám chữa bệnh bảo hiểm y tế.",
        gettext_noop("The card is valid. Admit the patient on health insurance."),
    ),
    EXPIRED: (
        "Thẻ đã hết hạn sử dụng. Đề nghị người bệnh gia hạn thẻ; khám dịch vụ hoặc chờ thẻ mới.",
        gettext_noop("The card has expired. Ask the patient to renew it; treat as a paying patient meanwhile."),
    ),
    NO_CARD: (
        "Không tìm thấy thẻ bảo hiểm y tế. Đề nghị xuất trình thẻ giấy kèm giấy tờ có ảnh hoặc khám dịch vụ.",
        gettext_noop(
            "No health-insurance card found. Ask for the paper card with a photo ID, or treat as a paying patient."
        ),
    ),
    STAFF_NOT_REGISTERED: (
        "Cán bộ tra cứu chưa được đăng ký với cơ sở. Liên hệ quản trị hệ thống của bệnh viện.",
        gettext_noop("You are not registered as checking staff of this facility. Contact the hospital's IT staff."),
    ),
    STAFF_NAME_MISMATCH: (
        "Họ tên cán bộ tra cứu không khớp với số định danh. Kiểm tra lại thông tin đăng nhập.",
        gettext_noop("Your name does not match your ID number as registered. Check your sign-in details."),
    ),
    NAME_MISMATCH: (
        "Họ tên không khớp với thẻ bảo hiểm y tế. Đối chiếu giấy tờ tùy thân; hướng dẫn người bệnh cập nhật tại cơ "
        "quan bảo hiểm xã hội.",
        gettext_noop(
            "The name does not match the health-insurance card. Check the ID document; ask the patient to update "
            "it at social insurance."
        ),
    ),
    NAME_DIACRITICS: (
        "Họ tên chỉ khác dấu hoặc cách viết. Đối chiếu giấy tờ tùy thân rồi tiếp nhận; đề nghị điều chỉnh thẻ.",
        gettext_noop(
            "The name differs only in diacritics or spelling. Check the ID document, admit, and ask for the card "
            "to be corrected."
        ),
    ),
    BIRTH_DATE_MISMATCH: (
        "Ngày sinh không khớp. Đối chiếu căn cước; đề nghị điều chỉnh tại cơ quan bảo hiểm xã hội.",
        gettext_noop("The date of birth does not match. Check the ID card; ask for a correction at social insurance."),
    ),
    SEX_MISMATCH: (
        "Giới tính không khớp. Đối chiếu căn cước; đề nghị điều chỉnh tại cơ quan bảo hiểm xã hội.",
        gettext_noop("The sex does not match. Check the ID card; ask for a correction at social insurance."),
    ),
    OTHER_FACILITY: (
        "Thẻ còn giá trị nhưng đăng ký khám ban đầu ở cơ sở khác. Tiếp nhận theo tuyến: cần giấy chuyển tuyến "
        "hoặc là trường hợp cấp cứu.",
        gettext_noop(
            "The card is valid but registered at another primary-care facility. Admit under referral rules: a "
            "referral letter or an emergency."
        ),
    ),
    REVOKED: (
        "Thẻ đã bị thu hồi. Không tiếp nhận bảo hiểm y tế; khám dịch vụ.",
        gettext_noop("The card has been revoked. Do not admit on health insurance; treat as a paying patient."),
    ),
    ENDED: (
        "Đã dừng tham gia bảo hiểm y tế. Khám dịch vụ; hướng dẫn tham gia lại.",
        gettext_noop("Health-insurance coverage has ended. Treat as a paying patient; explain how to enrol again."),
    ),
    SUSPENDED: (
        "Thẻ đang tạm dừng (chưa đóng đủ). Khám dịch vụ; đề nghị liên hệ đơn vị đóng bảo hiểm.",
        gettext_noop(
            "Coverage is suspended (contributions unpaid). Treat as a paying patient; ask them to contact the payer."
        ),
    ),
    CHILD_WITHOUT_CARD: (
        "Trẻ dưới 6 tuổi chưa có thẻ. Tiếp nhận theo giấy khai sinh; hướng dẫn cha mẹ đăng ký thẻ (nhóm liên thông "
        "khai sinh).",
        gettext_noop(
            "A child under 6 without a card. Admit on the birth certificate; tell the parents to apply for the card "
            "(the birth group)."
        ),
    ),
}


@dataclass(frozen=True, slots=True)
class CardQR:
    """What the printed QR of a chip ID card gives."""

    pin: str
    full_name: str
    birth_date: str  # ISO
    sex: str  # "M" or "F"


_SEXES = {"nam": "M", "nữ": "F", "nu": "F", "m": "M", "f": "F"}


def _qr_error() -> DomainError:
    return DomainError("qr_not_a_card", gettext_noop("The QR code is not the QR code of an ID card."), field="qr")


def parse_card_qr(text: str) -> CardQR:
    """The chip card's printed QR payload; raises ``qr_not_a_card`` for anything else (nothing of it is echoed)."""
    if not isinstance(text, str) or len(text) > 1000:
        raise _qr_error()
    parts = text.strip().split("|")
    if len(parts) != 7:
        raise _qr_error()
    pin, _old, name, born, sex, _address, _issued = (part.strip() for part in parts)
    try:
        parse_pin(pin)
        birth = date(int(born[4:8]), int(born[2:4]), int(born[0:2])) if len(born) == 8 and born.isdigit() else None
    except (DomainError, ValueError):
        raise _qr_error() from None
    code = _SEXES.get(sex.casefold())
    if birth is None or code is None or not name:
        raise _qr_error()
    return CardQR(pin, name, birth.isoformat(), code)


def card_qr(pin: str, full_name: str, birth_date: date, sex: str, address: str = "", issued: date | None = None) -> str:
    """The QR text printed on a chip card (for the demo and tests)."""
    issue = issued or birth_date
    return "|".join(
        (pin, "", full_name, birth_date.strftime("%d%m%Y"), "Nam" if sex == "M" else "Nữ", address,
         issue.strftime("%d%m%Y"))
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Facts:
    """What was compared, for :func:`result_code`: each a bool or None when not compared or unknown."""

    has_card: bool
    name_exact: bool | None  # the name given equals the name at social insurance (normalised)
    name_folded: bool | None  # ... without diacritics
    birth_date: bool | None
    sex: bool | None
    status: str  # active, ended, suspended, revoked ("" without a card)
    expired: bool
    at_registered_facility: bool
    under_six: bool


def result_code(facts: Facts) -> str:
    """The social-insurance result code, in the order the look-up checks: the card, then identity, then the card's
    state, then the facility."""
    if not facts.has_card:
        return CHILD_WITHOUT_CARD if facts.under_six else NO_CARD
    if facts.name_exact is False:
        return NAME_DIACRITICS if facts.name_folded else NAME_MISMATCH
    if facts.birth_date is False:
        return BIRTH_DATE_MISMATCH
    if facts.sex is False:
        return SEX_MISMATCH
    if facts.status == "revoked":
        return REVOKED
    if facts.status == "ended":
        return ENDED
    if facts.status == "suspended":
        return SUSPENDED
    if facts.expired:
        return EXPIRED
    if not facts.at_registered_facility:
        return OTHER_FACILITY
    return VALID


def under_six(birth_date: date, today: date) -> bool:
    years = today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))
    return years < 6
