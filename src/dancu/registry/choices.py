"""Coded values of the registry."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class DatePrecision(models.TextChoices):
    """How much of a date of birth is known; old records may know only the year or the month."""

    DAY = "day", _("Day")
    MONTH = "month", _("Month")
    YEAR = "year", _("Year")


class LifeStatus(models.TextChoices):
    LIVING = "living", _("Living")
    DECEASED = "deceased", _("Deceased")


class Relationship(models.TextChoices):
    """Relationship to the head of household (quan hệ với chủ hộ)."""

    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    GRANDCHILD = "grandchild", _("Grandchild")
    SIBLING = "sibling", _("Sibling")
    CHILD_IN_LAW = "child_in_law", _("Child-in-law")
    OTHER_RELATIVE = "relative", _("Other relative")
    OTHER = "other", _("Other")


#: The 54 ethnic groups with the statistics office's codes (Decision 121-TCTK/PPCĐ, 1979).
ETHNIC_GROUPS: dict[int, str] = {
    1: "Kinh", 2: "Tày", 3: "Thái", 4: "Hoa", 5: "Khmer", 6: "Mường", 7: "Nùng", 8: "Mông", 9: "Dao",
    10: "Gia Rai", 11: "Ngái", 12: "Ê Đê", 13: "Ba Na", 14: "Xơ Đăng", 15: "Sán Chay", 16: "Cơ Ho", 17: "Chăm",
    18: "Sán Dìu", 19: "Hrê", 20: "Mnông", 21: "Raglay", 22: "Xtiêng", 23: "Bru-Vân Kiều", 24: "Thổ", 25: "Giáy",
    26: "Cơ Tu", 27: "Gié Triêng", 28: "Mạ", 29: "Khơ Mú", 30: "Co", 31: "Tà Ôi", 32: "Chơ Ro", 33: "Kháng",
    34: "Xinh Mun", 35: "Hà Nhì", 36: "Chu Ru", 37: "Lào", 38: "La Chí", 39: "La Ha", 40: "Phù Lá", 41: "La Hủ",
    42: "Lự", 43: "Lô Lô", 44: "Chứt", 45: "Mảng", 46: "Pà Thẻn", 47: "Cơ Lao", 48: "Cống", 49: "Bố Y", 50: "Si La",
    51: "Pu Péo", 52: "Brâu", 53: "Ơ Đu", 54: "Rơ Măm",
}  # fmt: skip

ETHNICITY_CHOICES = sorted(ETHNIC_GROUPS.items())

#: Religions recognised on records (Law on Belief and Religion 2016; "Không" = none).
RELIGIONS = (
    "Không",
    "Phật giáo",
    "Công giáo",
    "Tin lành",
    "Cao Đài",
    "Phật giáo Hòa Hảo",
    "Hồi giáo",
    "Bà La Môn",
    "Tịnh độ cư sĩ Phật hội Việt Nam",
    "Tứ Ân Hiếu Nghĩa",
    "Bửu Sơn Kỳ Hương",
    "Minh Sư Đạo",
    "Minh Lý Đạo",
    "Bahá'í",
    "Khác",
)
